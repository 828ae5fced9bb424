"""``bbsql cache status`` and ``bbsql cache clear``: look into and empty the persistent cache.

The cache lives in one directory shared by every process (``CacheLocation``, default the user's
cache directory, see engine/cache_store.py). Neither command needs a connection or sends a
request; ``-c``/``--profile`` only say which ``CacheLocation`` to use.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from bitbucket_sql.cli._connection import connection_options
from bitbucket_sql.cli._errors import friendly_errors


def _directory(connection: str | None, profile: str | None) -> Path:
    """The cache directory of the given connection, else the default one."""
    from bitbucket_sql.engine.cache_scans import cache_location

    if not connection and not profile:
        from bitbucket_sql.engine.cache_store import default_cache_dir

        return default_cache_dir()
    from bitbucket_sql.cli._connection import resolve_settings

    return cache_location(resolve_settings(connection, profile))


def _open(directory: Path) -> Any:
    """The store in ``directory``, or None when no cache was ever written there."""
    from bitbucket_sql.engine.cache_store import FILE_NAME, CacheStore

    if not (directory / FILE_NAME).exists():
        return None
    return CacheStore(directory, max_bytes=1 << 62)


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def human_age(seconds: float) -> str:
    if seconds < 90:
        return f"{max(0, int(seconds))} s"
    if seconds < 5400:
        return f"{int(seconds // 60)} min"
    if seconds < 129600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@click.group()
def cache() -> None:
    """The persistent cache of fetched rows (Cache=persistent): status and clear."""


@cache.command()
@connection_options
def status(connection: str | None, profile: str | None) -> None:
    """Where the cache is, its size, and per table: entries, rows, size and age."""
    with friendly_errors():
        directory = _directory(connection, profile)
        store = _open(directory)
        if store is None:
            click.echo(f"No persistent cache in {directory} yet (it is created by the first query).")
            return
        try:
            tables = store.status()
            on_disk = store.file_size()
        finally:
            store.close()
    click.echo(f"Location: {directory / 'scans.sqlite3'}")
    entries = sum(t.entries for t in tables)
    click.echo(f"Size: {human_size(on_disk)} on disk, {human_size(sum(t.size for t in tables))} of rows "
               f"(compressed) in {entries} entr{'y' if entries == 1 else 'ies'}")
    if not tables:
        return
    now = time.time()
    header = ("table", "entries", "rows", "size", "newest", "oldest")
    rows = [(t.table, str(t.entries), str(t.items), human_size(t.size), human_age(now - t.newest),
             human_age(now - t.oldest)) for t in tables]
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(len(header))]
    click.echo("")
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0]), *(row[i].rjust(widths[i]) for i in range(1, len(row)))]
        click.echo("  ".join(cells).rstrip())
    click.echo("\n(newest/oldest: time since the rows were fetched or last refreshed; entries older than "
               "CacheTTL are refreshed by the next query that needs them)")


@cache.command()
@click.option("--table", "table", metavar="TABLE", help="Only the entries of this table (e.g. pull_requests).")
@connection_options
def clear(table: str | None, connection: str | None, profile: str | None) -> None:
    """Delete the cached rows (of one table with --table): the next queries fetch them again."""
    if table is not None:
        from bitbucket_sql.cli.catalog_cmd import lookup_table

        table = lookup_table(table.strip()).name
    with friendly_errors():
        directory = _directory(connection, profile)
        store = _open(directory)
        if store is None:
            click.echo(f"No persistent cache in {directory}: nothing to clear.")
            return
        try:
            removed = store.clear(table=table)
        finally:
            store.close()
    what = f" of {table}" if table else ""
    click.echo(f"Removed {removed} entr{'y' if removed == 1 else 'ies'}{what} from {directory / 'scans.sqlite3'}.")

"""Every table carries the key columns users join on: ``workspace``, ``repository``, parent keys."""

from __future__ import annotations

from typing import Any

from _helpers_connect import connection_string_for
from bitbucket_sql.catalog.columns import slug_of_full_name
from bitbucket_sql.catalog.registry import all_tables


def test_every_workspace_table_has_a_workspace_column_and_every_path_key_a_column() -> None:
    for table in all_tables():
        names = {column.name for column in table.columns}
        if table.scope != "global":
            assert "workspace" in names, table.name
        assert {key.column for key in table.keys} <= names, table.name


def test_every_table_about_repositories_has_the_repository_slug() -> None:
    """A table keyed by repository, or listing repositories' grants, joins on ``repository``."""
    for table in all_tables():
        names = {column.name for column in table.columns}
        about_repositories = table.scope == "repository" or "repository_uuid" in names
        if about_repositories and table.name != "repositories":
            assert "repository" in names, f"{table.name} has no repository slug column"


def test_the_slug_comes_from_a_full_name() -> None:
    assert slug_of_full_name("acme/api") == "api"
    assert slug_of_full_name("acme/") is None and slug_of_full_name("api") is None
    assert slug_of_full_name(None) is None


def test_repository_permissions_join_other_tables_on_the_repository_slug(emulator: Any) -> None:
    import bitbucket_sql

    with bitbucket_sql.connect(connection_string_for(emulator)) as conn:
        cursor = conn.cursor()
        for table in ("repository_permissions", "current_user_repository_permissions"):
            rows = cursor.execute(f"SELECT repository, repository_full_name FROM {table}").fetchall()
            assert rows and all(full_name == f"acme/{slug}" for slug, full_name in rows), table
        joined = cursor.execute(
            "SELECT p.repository, r.slug FROM repository_permissions p "
            "JOIN repositories r ON r.slug = p.repository"
        ).fetchall()
        everything = cursor.execute("SELECT repository FROM repository_permissions").fetchall()
        assert len(joined) == len(everything) > 0


def test_a_derived_slug_is_filtered_locally_never_sent_as_bbql() -> None:
    """``repository = 'api'`` must not become ``repository.full_name = "api"`` (no row would match)."""
    from bitbucket_sql.catalog.registry import get_table

    for name in ("repository_permissions", "current_user_repository_permissions"):
        table = get_table(name)
        assert table is not None
        (column,) = [column for column in table.columns if column.name == "repository"]
        assert column.derive is slug_of_full_name
        assert not column.filter_ops and not column.sortable

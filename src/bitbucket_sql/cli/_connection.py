"""Where the query commands get their connection: ``-c``, ``BBSQL_CONNECTION`` or ``--profile``.

``-c`` takes a CData-style connection string; ``--profile NAME`` loads ``[profiles.NAME]``
from the config file (``$BBSQL_CONFIG`` or ``~/.bbsql/config.toml``, read by
:mod:`bitbucket_sql.api.settings`); both together mean the profile with the string's keys on
top. Without either, ``BBSQL_CONNECTION`` is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from bitbucket_sql.cli._errors import QueryError, friendly_errors

F = TypeVar("F", bound=Callable[..., Any])

NO_CONNECTION = (
    "no connection given: pass -c 'Workspace=acme;AuthScheme=APIToken;User=<e-mail>;APIToken=<token>', "
    "set BBSQL_CONNECTION to such a string, or name a profile of ~/.bbsql/config.toml with --profile. "
    "To try bbsql without a Bitbucket account, run 'bbsql demo'."
)


def connection_options(command: F) -> F:
    """Add ``-c/--connection`` and ``--profile`` to a command."""
    command = click.option(
        "--profile",
        "profile",
        envvar="BBSQL_PROFILE",
        metavar="NAME",
        help="Named profile from the config file ($BBSQL_CONFIG or ~/.bbsql/config.toml). Env: BBSQL_PROFILE.",
    )(command)
    command = click.option(
        "-c",
        "--connection",
        "connection",
        envvar="BBSQL_CONNECTION",
        metavar="CONNECTION",
        help="Connection string: Key=Value pairs separated by ';' (Workspace, AuthScheme, User, APIToken, "
        "...). Env: BBSQL_CONNECTION.",
    )(command)
    return command


def resolve_settings(connection: str | None, profile: str | None) -> Any:
    """ConnectionSettings from the options, or a QueryError saying how to give a connection."""
    if not connection and not profile:
        raise QueryError(NO_CONNECTION)
    from bitbucket_sql.api.settings import parse_connection_string

    with friendly_errors():
        if profile:
            return parse_connection_string(connection or "", Profile=profile)
        return parse_connection_string(connection)


@contextmanager
def opened_engine(connection: str | None, profile: str | None) -> Iterator[Any]:
    """An engine for the options, closed when the block ends."""
    settings = resolve_settings(connection, profile)
    with friendly_errors():
        from bitbucket_sql.engine import Engine

        engine = Engine(settings)
    try:
        yield engine
    finally:
        engine.close()

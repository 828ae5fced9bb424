"""asyncpg: binary protocol throughout, prepared statements, type introspection, row-limited cursors."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from pg_server_helpers import (
    PASSWORD,
    REFERENCE_SQL,
    RunningServer,
    normalized,
    reference_rows,
    repository_with_pull_requests,
    require_module,
)

asyncpg = require_module("asyncpg", "asyncpg")


async def _connect(server: RunningServer) -> Any:
    connection = await asyncpg.connect(
        host=server.host,
        port=server.port,
        user="reader",
        password=PASSWORD,
        database="acme",
        ssl=False,
        timeout=30,
    )
    await connection.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    return connection


def test_prepared_statement_binary_rows_equal_the_dbapi(demo_server: RunningServer, emulator: Any) -> None:
    repo = repository_with_pull_requests(emulator)
    expected = reference_rows(emulator, repo)

    async def scenario() -> tuple[list[Any], list[str], list[Any]]:
        connection = await _connect(demo_server)
        try:
            statement = await connection.prepare(REFERENCE_SQL.format(repo="$1"))
            rows = await statement.fetch(repo)
            again = await statement.fetch(repo)
            types = [attribute.type.name for attribute in statement.get_attributes()]
            return [normalized(tuple(row)) for row in rows], types, [tuple(row) for row in again]
        finally:
            await connection.close()

    rows, types, again = asyncio.run(scenario())
    assert rows == expected
    assert types == ["int8", "text", "bool", "int8", "timestamptz", "json"]
    assert len(again) == len(rows)


def test_cursor_fetches_in_row_limited_chunks(demo_server: RunningServer, emulator: Any) -> None:
    repo = repository_with_pull_requests(emulator)
    expected_ids = [row[0] for row in reference_rows(emulator, repo)]

    async def scenario() -> list[int]:
        connection = await _connect(demo_server)
        try:
            async with connection.transaction():
                cursor = connection.cursor(REFERENCE_SQL.format(repo="$1"), repo, prefetch=2)
                return [row["id"] async for row in cursor]  # Execute with a row limit of 2, PortalSuspended
        finally:
            await connection.close()

    assert asyncio.run(scenario()) == expected_ids


def test_errors_map_to_asyncpg_exceptions(demo_server: RunningServer) -> None:
    async def scenario() -> tuple[str, Any]:
        connection = await _connect(demo_server)
        try:
            try:
                await connection.fetch("SELECT * FROM no_such_table")
            except asyncpg.PostgresError as error:
                sqlstate = error.sqlstate
            return sqlstate, await connection.fetchval("SELECT 5")
        finally:
            await connection.close()

    sqlstate, value = asyncio.run(scenario())
    assert sqlstate == "42P01" and value == 5

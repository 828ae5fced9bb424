"""The catalog's declarations hold against the emulator: paths answer, columns are found in the
payloads, pushed-down filters select exactly the rows SQL would, and page sizes are accepted.

The emulator is an independent implementation of the API (it imports nothing from the catalog),
so agreement here means the catalog and the emulator read the spec the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from bitbucket_sql.catalog.model import Column, TableDef
from bitbucket_sql.catalog.registry import all_tables, get_table
from bitbucket_sql.catalog.templates import fill, placeholders

#: Raw tables (file_contents) answer bytes, not JSON: their columns describe the bytes and are checked
#: against the emulator's files in tests/engine/test_more_tables.py.
LIVE_TABLES = [t for t in all_tables() if not t.removed and t.paging != "raw"]

#: Columns of fields the API includes only when set, and that no row of the tiny data set has.
OPTIONAL_COLUMNS = {
    "branch_restrictions": {"branch_type"},  # branching-model restrictions only
    "pull_request_comments": {  # resolved threads only
        "resolution_created_on",
        "resolution_user_uuid",
        "resolution_user_account_id",
        "resolution_user_display_name",
    },
}

#: Columns whose field every row of the tiny data set has, but always null.
NULL_ONLY_COLUMNS = {"pull_request_comments": {"inline_from"}}

_MISSING = object()


def value_at(row: dict[str, Any], path: str) -> Any:
    value: Any = row
    for segment in path.split("."):
        if not isinstance(value, dict) or segment not in value:
            return _MISSING
        value = value[segment]
    return value


def bbql_literal(value: Any, column: Column) -> str:
    if value is None:
        return "null"
    if column.type == "BOOLEAN":
        return "true" if value else "false"
    if column.type in {"BIGINT", "DOUBLE", "TIMESTAMPTZ"}:
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


#: The demo credentials administer acme; globex is readable and holds the fork of acme/api, so
#: repositories are read in both (fork columns), everything else in acme.
WORKSPACES = {"repositories": ("acme", "globex")}

#: How many parent objects to visit per key when enumerating (commits are many and alike).
PARENTS_PER_KEY = {"commit_hash": 2, "pipeline_uuid": 3, "ref": 2, "path": 4}


def fixed_params(table: TableDef) -> list[tuple[str, str]]:
    return [(name, value) for name, values in table.fixed_params for value in values]


def list_rows(client: httpx.Client, table: TableDef, url: str, extra: list[tuple[str, Any]]) -> list[dict]:
    response = client.get(url, params=extra)
    assert response.status_code == 200, f"{table.name}: {url} -> {response.status_code} {response.text[:200]}"
    body = response.json()
    return [body] if table.paging == "single" else body["values"]


class Sampler:
    """Visits every table under many parents, enumerating key values through the catalog's own
    PathKey sources (repositories -> pull requests -> comments), and caches what it read."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self._cache: dict[str, list[tuple[str, list[dict]]]] = {}

    def scopes(self, table: TableDef) -> list[dict[str, Any]]:
        if table.scope == "global":
            scopes: list[dict[str, Any]] = [{}]
        else:
            workspaces = WORKSPACES.get(table.name, ("acme",))
            scopes = [{"workspace": workspace} for workspace in workspaces]
        for key in table.keys:
            if key.values:
                scopes = [{**scope, key.placeholder: value} for scope in scopes for value in key.values]
                continue
            if key.source_table is None:
                continue
            source = get_table(key.source_table)
            source_column = source.column(key.source_column)
            expanded = []
            for scope in scopes:
                url = fill(source.path, scope)
                rows = list_rows(
                    self.client, source, url, [*fixed_params(source), ("pagelen", source.max_pagelen)]
                )
                if key.source_where is not None:  # only the rows the key is declared for (files)
                    where = source.column(key.source_where[0])
                    rows = [row for row in rows if value_at(row, where.path) == key.source_where[1]]
                values = [value_at(row, source_column.path) for row in rows]
                limit = PARENTS_PER_KEY.get(key.column, len(values))
                expanded += [{**scope, key.placeholder: value} for value in values[:limit]]
            scopes = expanded
        return scopes

    def samples(self, table: TableDef, extra: list[tuple[str, Any]] = ()) -> list[tuple[str, list[dict]]]:
        """(url, rows) for every scope of ``table``."""
        if not extra and table.name in self._cache:
            return self._cache[table.name]
        found = []
        for scope in self.scopes(table):
            url = fill(table.path, scope)
            paging = [("pagelen", table.max_pagelen)] if table.paging != "single" else []
            found.append((url, list_rows(self.client, table, url, [*fixed_params(table), *paging, *extra])))
        if not extra:
            self._cache[table.name] = found
        return found


@pytest.fixture(scope="module")
def sampler(emulator) -> Iterator[Sampler]:
    with httpx.Client(
        base_url=emulator.base_url,
        auth=("demo@example.com", "demo-api-token"),
        follow_redirects=True,
        timeout=30,
    ) as http:
        yield Sampler(http)


@pytest.mark.parametrize("table", LIVE_TABLES, ids=lambda t: t.name)
def test_columns_are_found_in_the_payloads(sampler: Sampler, table: TableDef) -> None:
    on_demand = [f"+values.{c.path}" for c in table.columns if not c.default_field]
    extra = [("fields", ",".join(on_demand))] if on_demand else []
    rows = [row for _, rows in sampler.samples(table, extra) for row in rows]
    assert rows, f"{table.name}: the emulator returned no rows to check"
    absent = {
        c.name
        for c in table.columns
        if c.path is not None and all(value_at(row, c.path) is _MISSING for row in rows)
    }
    assert absent == OPTIONAL_COLUMNS.get(table.name, set()), f"{table.name}: not in any payload: {absent}"
    if on_demand:  # and without fields=+..., the listing leaves those fields out
        plain = [row for _, rows in sampler.samples(table) for row in rows]
        hidden = [c for c in table.columns if not c.default_field]
        assert all(value_at(row, c.path) is _MISSING for row in plain for c in hidden)


@pytest.mark.parametrize("table", [t for t in LIVE_TABLES if t.paging != "single"], ids=lambda t: t.name)
def test_the_declared_page_size_is_the_largest_accepted(sampler: Sampler, table: TableDef) -> None:
    url = sampler.samples(table)[0][0]
    accepted = sampler.client.get(url, params=[*fixed_params(table), ("pagelen", table.max_pagelen)])
    assert accepted.status_code == 200, f"{table.name}: pagelen={table.max_pagelen} refused"
    if table.name != "pull_request_diffstat":  # the redirect to the repository diffstat drops pagelen
        refused = sampler.client.get(url, params=[*fixed_params(table), ("pagelen", table.max_pagelen + 1)])
        assert refused.status_code == 400, f"{table.name}: pagelen={table.max_pagelen + 1} accepted"


@pytest.mark.parametrize("table", [t for t in LIVE_TABLES if t.get_path], ids=lambda t: t.name)
def test_get_path_returns_the_listed_object(sampler: Sampler, table: TableDef) -> None:
    url, rows = next((url, rows) for url, rows in sampler.samples(table) if rows)
    scope = scope_of(table, url)
    key_values = {name: value_at(rows[0], table.column(name).path) for name in table.get_key}
    response = sampler.client.get(fill(table.get_path, {**scope, **key_values}))
    assert response.status_code == 200, f"{table.name}: {response.status_code} {response.text[:200]}"
    for name, value in key_values.items():
        assert value_at(response.json(), table.column(name).path) == value


@pytest.mark.parametrize("table", [t for t in LIVE_TABLES if t.wide_path], ids=lambda t: t.name)
def test_wide_path_rows_carry_their_key(sampler: Sampler, table: TableDef) -> None:
    url = sampler.samples(table)[0][0]
    rows = list_rows(sampler.client, table, fill(table.wide_path, scope_of(table, url)), [])
    assert rows
    for key in table.keys:
        if key.placeholder not in placeholders(table.wide_path):
            column = table.column(key.column)
            assert all(value_at(row, column.path) not in (_MISSING, None) for row in rows), key


def scope_of(table: TableDef, url: str) -> dict[str, str]:
    """The placeholder values ``url`` was filled with (inverse of fill for these simple values)."""
    pattern = re.escape(table.path)
    for name in placeholders(table.path):
        pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>.+?)")
    match = re.fullmatch(pattern, url)
    assert match, (table.path, url)
    return {name: unquote(value) for name, value in match.groupdict().items()}


def equality_params(table: TableDef, column: Column, value: Any) -> list[tuple[str, Any]]:
    if column.param:
        return [
            *fixed_params(table),
            (column.param, str(value).lower() if isinstance(value, bool) else value),
        ]
    # Fixed parameters are ignored once q is present, so they are folded into q (as the engine does).
    # A fixed parameter that is not a field of the objects (files' max_depth) stays a parameter.
    clauses = [f"{column.bbql_field} = {bbql_literal(value, column)}"]
    plain = []
    for name, values in table.fixed_params:
        if not any(c.bbql_field == name for c in table.columns):
            plain += [(name, v) for v in values]
            continue
        quoted = ", ".join(f'"{v}"' for v in values)
        clauses.append(f"{name} IN ({quoted})")
    return [*plain, ("q", " AND ".join(clauses))]


@pytest.mark.parametrize(
    "table", [t for t in LIVE_TABLES if any(c.filter_ops for c in t.columns)], ids=lambda t: t.name
)
def test_pushed_equality_selects_exactly_the_matching_rows(sampler: Sampler, table: TableDef) -> None:
    without_data = set()
    for column in table.columns:
        if "=" not in column.filter_ops:
            continue
        sample = next(
            (
                (url, rows, value)
                for url, rows in sampler.samples(table)
                for value in (value_at(row, column.path) for row in rows)
                if value not in (_MISSING, None)
            ),
            None,
        )
        if sample is None:
            without_data.add(column.name)
            continue
        url, rows, value = sample
        expected = sum(1 for row in rows if value_at(row, column.path) == value)
        params = [*equality_params(table, column, value), ("pagelen", table.max_pagelen)]
        response = sampler.client.get(url, params=params)
        assert response.status_code == 200, f"{table.name}.{column.name}: {response.text[:200]}"
        matched = response.json()["values"]
        assert len(matched) == expected, f"{table.name}.{column.name} = {value!r}"
        assert all(value_at(row, column.path) == value for row in matched)
    assert without_data <= OPTIONAL_COLUMNS.get(table.name, set()) | NULL_ONLY_COLUMNS.get(table.name, set())


@pytest.mark.parametrize(
    "table", [t for t in LIVE_TABLES if any(c.sortable for c in t.columns)], ids=lambda t: t.name
)
def test_api_sort_orders_like_sql(sampler: Sampler, table: TableDef) -> None:
    url = max(sampler.samples(table), key=lambda sample: len(sample[1]))[0]
    sort_param = table.sort_param or "sort"
    for column in (c for c in table.columns if c.sortable):
        for descending in (False, True):
            field = ("-" if descending else "") + (column.bbql_field or "")
            params = [*fixed_params(table), (sort_param, field), ("pagelen", table.max_pagelen)]
            response = sampler.client.get(url, params=params)
            assert response.status_code == 200, response.text[:200]
            values = [value_at(row, column.path) for row in response.json()["values"]]
            values = [v for v in values if v not in (_MISSING, None)]
            assert values == sorted(values, reverse=descending), f"{table.name}.{column.name} {field}"

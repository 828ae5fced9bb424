"""The sync core's duckdb-free row conversion gives the engine's values, value for value."""

from __future__ import annotations

from typing import Any

import pytest

from bitbucket_sql.catalog.registry import all_tables
from bitbucket_sql.engine import rows as engine_rows
from bitbucket_sql.sync import values

SAMPLES: list[Any] = [
    None, "", "text", "42", "4.5", "true", "False", 0, 7, -3, 2.0, 2.5, True, False,
    "2026-11-01T10:00:00+00:00", "2021-12-05T08:25:33.54158Z", "2021-04-02T14:25:58.600",
    "2024-11-04T10:01:02.123456789+02:00", "2026-01-31", {"a": [1, 2]}, [1, "x"], "not a date",
]


@pytest.mark.parametrize("sql_type", ["VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN", "TIMESTAMPTZ", "DATE", "JSON"])
def test_coerce_matches_the_engine(sql_type: str) -> None:
    for sample in SAMPLES:
        assert values.coerce(sample, sql_type) == engine_rows.coerce(sample, sql_type), (sample, sql_type)


def test_rows_match_the_engine_for_every_table() -> None:
    item = {
        "id": 5, "uuid": "{u}", "name": "main", "created_on": "2026-01-01T00:00:00Z",
        "author": {"display_name": "A", "uuid": "{a}"}, "links": {"html": {"href": "https://x"}},
        "state": {"name": "COMPLETED"}, "full_name": "acme/api", "target": {"hash": "abc"},
    }
    scope = {"workspace": "acme", "repository": "api", "pull_request_id": 5}
    for table in all_tables():
        row = values.row_dict(item, table.columns, scope)
        assert tuple(row.values()) == engine_rows.extract_row(item, table.columns, scope), table.name

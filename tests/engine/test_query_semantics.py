"""Query shapes whose meaning the pushdown must not change: whole rows, COLUMNS(...), MaxRows.

Each test compares the pushed answer with the unpushed ground truth (``pushdown=False``) and
checks the requests, so it fails both when a value comes back NULL because ``fields=`` was
narrowed too far and when an early stop is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from engine_helpers import canonical

from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.errors import InvalidIdentifierError
from bitbucket_sql.engine.planner import ScanPlan

COMMITS = "GET /2.0/repositories/{workspace}/{repo_slug}/commits"


def sent_params(engine: Engine, sql: str) -> tuple[Any, list[dict[str, list[str]]]]:
    with engine.client.recording() as recording:
        result = engine.execute(sql)
    return result, [parse_qs(urlsplit(r.url).query) for r in recording.records]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT p FROM branches p WHERE repository = 'api'",
        "SELECT to_json(p) FROM branches p WHERE repository = 'api'",
        "SELECT struct_pack(name := p.name, whole := p) FROM branches p WHERE repository = 'api'",
        "SELECT list_value(p)[1].target_hash FROM branches p WHERE repository = 'api'",
        "SELECT COLUMNS('target_.*') FROM branches p WHERE repository = 'api'",
        "SELECT COLUMNS(c -> c LIKE '%hash%') FROM branches WHERE repository = 'api'",
        "SELECT max(COLUMNS(* EXCLUDE (name))) FROM branches WHERE repository = 'api'",
        "SELECT (SELECT p) FROM branches p WHERE repository = 'api'",
        "SELECT b.name, r FROM branches b JOIN repositories r ON r.slug = b.repository WHERE b.repository = 'api'",
    ],
)
def test_whole_rows_and_columns_expressions_get_every_column(engine: Engine, reference: Engine, sql: str) -> None:
    expected = reference.execute(sql).rows
    result, _ = sent_params(engine, sql)
    assert canonical(result.rows) == canonical(expected)
    assert any(value is not None for row in result.rows for value in row)


def test_named_columns_still_narrow_fields(engine: Engine, reference: Engine) -> None:
    # the fail-safe must not turn every query into a full fetch
    sql = "SELECT name, target_hash FROM branches WHERE repository = 'api'"
    result, sent = sent_params(engine, sql)
    assert canonical(result.rows) == canonical(reference.execute(sql).rows)
    assert sent[0]["fields"] == ["values.name,values.target.hash,next,page,size,pagelen"]


def test_whole_row_reference_fetches_without_narrowed_fields(engine: Engine) -> None:
    _, sent = sent_params(engine, "SELECT to_json(p) FROM branches p WHERE repository = 'api'")
    assert all("fields" not in params for params in sent)


def test_a_schema_with_a_slash_never_reaches_the_url(engine: Engine, emulator: Any) -> None:
    emulator.reset_stats()
    with pytest.raises(InvalidIdentifierError) as caught:
        engine.execute('SELECT slug FROM "acme/api/refs/branches".repositories')
    message = str(caught.value)
    assert "'acme/api/refs/branches'" in message and "'/'" in message and "WHERE repository" in message
    assert emulator.stats()["routes"] == {}


@pytest.mark.parametrize("schema", ['"acme?x=1"', '"acme#frag"', '"ac me"', '".."', '"acme%2Fapi"'])
def test_schemas_that_cannot_be_a_workspace_are_refused(engine: Engine, schema: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="cannot be a Bitbucket workspace"):
        engine.execute(f"SELECT slug FROM {schema}.repositories")


def test_max_rows_stops_paging_like_limit(
    make_engine: Callable[..., Engine], reference: Engine, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ScanPlan, "pagelen", property(lambda self: 2))  # many small pages
    total = reference.execute("SELECT count(*) FROM commits WHERE repository = 'api'").rows[0][0]
    assert total > 10 + 2  # more rows than the cap and the page after it
    capped = make_engine(MaxRows=10)
    emulator.reset_stats()
    result = capped.execute("SELECT hash, message FROM commits WHERE repository = 'api'")
    assert len(result.rows) == 10
    assert emulator.stats()["routes"] == {COMMITS: 5}  # 10 rows in pages of 2, not all pages
    everything = {row for row in reference.execute("SELECT hash, message FROM commits WHERE repository = 'api'").rows}
    assert set(result.rows) <= everything


@pytest.mark.parametrize(
    ("sql", "capped_rows"),
    [
        ("SELECT count(*) FROM commits WHERE repository = 'api'", 1),
        ("SELECT DISTINCT author_raw FROM commits WHERE repository = 'api'", 3),
        ("SELECT hash FROM commits WHERE repository = 'api' ORDER BY message, hash", 3),
        ("SELECT hash FROM commits WHERE repository = 'api' AND message LIKE '%a%' ORDER BY hash", 3),
        ("SELECT hash FROM commits WHERE repository = 'api' ORDER BY hash LIMIT 5 OFFSET 2", 3),
    ],
)
def test_max_rows_never_stops_a_query_that_needs_every_row(
    make_engine: Callable[..., Engine], reference: Engine, sql: str, capped_rows: int
) -> None:
    capped = make_engine(MaxRows=3).execute(sql)
    uncapped = make_engine().execute(sql)
    assert capped.stats.requests == uncapped.stats.requests  # MaxRows stopped no fetching
    expected = reference.execute(sql).rows
    if "ORDER BY" in sql or capped_rows == 1:
        assert capped.rows == expected[:capped_rows]
    else:  # DISTINCT without ORDER BY: any capped_rows of the right answer, in no fixed order
        assert len(capped.rows) == capped_rows and set(capped.rows) <= set(expected)

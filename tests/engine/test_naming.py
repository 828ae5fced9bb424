"""Result columns are named the way PostgreSQL names them."""

from __future__ import annotations

import datetime

import pyarrow as pa
import pytest

from bitbucket_sql.engine import Engine


@pytest.mark.parametrize(
    ("sql", "names"),
    [
        ("SELECT count(*) FROM repositories", ["count"]),
        ("SELECT count(*), count(slug), max(size) FROM repositories", ["count", "count", "max"]),
        ("SELECT slug, lower(name), 1 + 1, name AS n FROM repositories", ["slug", "lower", "?column?", "n"]),
        ("SELECT r.slug, CAST(size AS DOUBLE), CASE WHEN is_private THEN 1 END FROM repositories r",
         ["slug", "size", "case"]),
        ("SELECT row_number() OVER (ORDER BY slug), coalesce(website, '') FROM repositories",
         ["row_number", "coalesce"]),
        ("SELECT (SELECT max(size) FROM repositories), 'x'", ["max", "?column?"]),
        ("SELECT count(*) FROM repositories UNION ALL SELECT 1", ["count"]),
        ("SELECT count(*) FROM repositories ORDER BY count(*)", ["count"]),
        ("VALUES (1, 'a'), (2, 'b')", ["column1", "column2"]),
    ],
)
def test_postgres_style_names(engine: Engine, sql: str, names: list[str]) -> None:
    assert [column.name for column in engine.execute(sql).columns] == names


def test_star_keeps_column_names_and_types(engine: Engine) -> None:
    result = engine.execute("SELECT * FROM pull_requests WHERE repository = 'api' LIMIT 1")
    assert [c.name for c in result.columns] == list(engine.table("pull_requests").column_names)
    types = {c.name: c.type for c in result.columns}
    assert types["id"] == "BIGINT" and types["created_on"] == "TIMESTAMP WITH TIME ZONE"
    assert types["draft"] == "BOOLEAN" and types["reviewers"] == "JSON"
    row = dict(zip([c.name for c in result.columns], result.rows[0], strict=True))
    assert isinstance(row["created_on"], datetime.datetime) and row["created_on"].utcoffset() == datetime.timedelta(0)
    assert isinstance(row["reviewers"], str) and row["reviewers"].startswith("[")


def test_to_arrow(engine: Engine) -> None:
    table = engine.execute("SELECT id, title, created_on, draft FROM pull_requests WHERE repository = 'api'").to_arrow()
    assert table.column_names == ["id", "title", "created_on", "draft"]
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("created_on").type == pa.timestamp("us", tz="UTC")
    assert table.num_rows > 0


def test_max_rows_caps_the_result(make_engine) -> None:  # type: ignore[no-untyped-def]
    capped = make_engine(MaxRows=2)
    assert len(capped.execute("SELECT * FROM pull_requests").rows) == 2

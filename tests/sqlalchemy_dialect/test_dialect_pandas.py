"""pandas over the dialect: read_sql without the DB-API warning, answers equal to the DB-API's."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from dialect_helpers import dbapi_answer, require_module

sqlalchemy = require_module("sqlalchemy", "sqlalchemy")
pandas = require_module("pandas", "pandas")

QUERY = "SELECT id, title, draft, created_on FROM pull_requests WHERE repository = ? ORDER BY id"


def test_read_sql_of_a_string_with_qmark_parameters(engine: Any, emulator: Any, repository: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas warns when handed a DB-API connection instead
        frame = pandas.read_sql(QUERY, engine, params=(repository,))
    expected, _ = dbapi_answer(emulator, QUERY, [repository])
    assert list(frame.columns) == ["id", "title", "draft", "created_on"]
    assert [
        (int(r.id), r.title, bool(r.draft), r.created_on.to_pydatetime()) for r in frame.itertuples()
    ] == [tuple(row) for row in expected]
    assert str(frame["created_on"].dtype).startswith("datetime64") and "UTC" in str(frame["created_on"].dtype)


def test_read_sql_of_a_core_select_and_of_text_with_named_parameters(
    engine: Any, emulator: Any, repository: str
) -> None:
    metadata = sqlalchemy.MetaData()
    pull_requests = sqlalchemy.Table("pull_requests", metadata, autoload_with=engine)
    statement = (
        sqlalchemy.select(
            pull_requests.c.id, pull_requests.c.title, pull_requests.c.draft, pull_requests.c.created_on
        )
        .where(pull_requests.c.repository == repository)
        .order_by(pull_requests.c.id)
    )
    text = sqlalchemy.text(QUERY.replace("?", ":repo"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_core = pandas.read_sql(statement, engine)
        from_text = pandas.read_sql(text, engine, params={"repo": repository})
    expected, _ = dbapi_answer(emulator, QUERY, [repository])
    for frame in (from_core, from_text):
        assert [(int(r.id), r.title) for r in frame.itertuples()] == [(row[0], row[1]) for row in expected]


def test_read_sql_table_reflects_then_reads_the_whole_table(engine: Any, emulator: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = pandas.read_sql_table("repositories", engine)
    expected, _ = dbapi_answer(emulator, "SELECT * FROM repositories")
    columns = [column["name"] for column in sqlalchemy.inspect(engine).get_columns("repositories")]
    assert list(frame.columns) == columns
    assert sorted(frame["slug"]) == sorted(row[columns.index("slug")] for row in expected)


def test_to_sql_names_what_is_missing_and_sends_nothing(engine: Any, emulator: Any) -> None:
    """A frame that cannot become rows (a required column missing, a table that does not exist) is
    refused before any request (writes that succeed: test_dialect_writes.py)."""
    frame = pandas.DataFrame({"title": ["new"]})
    emulator.reset_stats()
    # pandas wraps the driver's error in its own DatabaseError
    with pytest.raises(pandas.errors.DatabaseError, match="repository.*required to create a row"):
        frame.to_sql("pull_requests", engine, if_exists="append", index=False)
    with pytest.raises(sqlalchemy.exc.CompileError, match="CREATE TABLE my_new_table.*no table 'my_new_table'"):
        frame.to_sql("my_new_table", engine, if_exists="append", index=False)
    assert emulator.write_requests() == {}

"""What Apache Superset does with a third-party dialect, short of installing Superset.

The engine spec values of :mod:`bitbucket_sql.sqlalchemy.superset` (time grains, datetime
literals) run through the engine and are checked against Python; queries rendered with
``literal_binds`` (as Superset renders them) cost what bound parameters cost.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from dialect_helpers import dbapi_answer, require_module

sqlalchemy = require_module("sqlalchemy", "sqlalchemy")

from bitbucket_sql.api import accounting  # noqa: E402 - after the import check
from bitbucket_sql.sqlalchemy.superset import TIME_GRAIN_EXPRESSIONS, convert_dttm  # noqa: E402


def truncated(value: dt.datetime, grain: str | None) -> dt.datetime:
    """Python's answer for each Superset time grain (UTC)."""
    value = value.astimezone(dt.UTC)
    if grain is None:
        return value
    if grain == "P1W":
        day = value.replace(hour=0, minute=0, second=0, microsecond=0)
        return day - dt.timedelta(days=day.weekday())
    if grain == "P3M":
        return value.replace(
            month=(value.month - 1) // 3 * 3 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
        )
    fields = {
        "PT1S": {"microsecond": 0},
        "PT1M": {"second": 0, "microsecond": 0},
        "PT1H": {"minute": 0, "second": 0, "microsecond": 0},
        "P1D": {"hour": 0, "minute": 0, "second": 0, "microsecond": 0},
        "P1M": {"day": 1, "hour": 0, "minute": 0, "second": 0, "microsecond": 0},
        "P1Y": {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0, "microsecond": 0},
    }
    return value.replace(**fields[grain])


@pytest.mark.parametrize("grain", list(TIME_GRAIN_EXPRESSIONS), ids=lambda grain: grain or "none")
def test_time_grains_truncate_like_python(
    grain: str | None, engine: Any, emulator: Any, repository: str
) -> None:
    expression = TIME_GRAIN_EXPRESSIONS[grain].format(col="created_on")
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            f"SELECT {expression} AS __timestamp, count(*) AS n FROM pull_requests "
            "WHERE repository = ? GROUP BY 1 ORDER BY 1",
            (repository,),
        ).all()
    created, _ = dbapi_answer(
        emulator, "SELECT created_on FROM pull_requests WHERE repository = ?", [repository]
    )
    expected = sorted(Counter(truncated(row[0], grain) for row in created).items())
    assert [(moment.astimezone(dt.UTC), n) for moment, n in rows] == expected


def test_convert_dttm_literals_filter_like_python(engine: Any, emulator: Any, repository: str) -> None:
    created, _ = dbapi_answer(
        emulator, "SELECT created_on FROM pull_requests WHERE repository = ?", [repository]
    )
    middle = sorted(row[0] for row in created)[len(created) // 2]
    for target_type in ("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "DATETIME"):
        literal = convert_dttm(target_type, middle)
        with engine.connect() as connection:
            count = connection.exec_driver_sql(
                f"SELECT count(*) FROM pull_requests WHERE repository = ? AND created_on >= {literal}",
                (repository,),
            ).scalar()
        assert count == sum(1 for row in created if row[0] >= middle)
    assert convert_dttm("DATE", middle) == f"DATE '{middle.date().isoformat()}'"
    assert convert_dttm("VARCHAR", middle) is None


def test_literal_binds_cost_what_bound_parameters_cost(engine: Any, repository: str) -> None:
    """Superset renders each chart's query with literal_binds; the literals push down like parameters."""
    pull_requests = sqlalchemy.Table("pull_requests", sqlalchemy.MetaData(), autoload_with=engine)
    month = sqlalchemy.literal_column(TIME_GRAIN_EXPRESSIONS["P1M"].format(col="created_on"))
    statement = (
        sqlalchemy.select(
            month.label("__timestamp"), pull_requests.c.state, sqlalchemy.func.count().label("count")
        )
        .where(
            pull_requests.c.repository == repository,
            pull_requests.c.created_on >= dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            pull_requests.c.created_on < dt.datetime(2026, 11, 1),
            pull_requests.c.state.in_(["OPEN", "MERGED", "DECLINED"]),
        )
        .group_by(month, pull_requests.c.state)
        .order_by(sqlalchemy.desc("count"), month, pull_requests.c.state)
        .limit(10000)
    )
    rendered = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
    assert "TIMESTAMPTZ '2026-01-01 00:00:00+00:00'" in rendered and "?" not in rendered
    answers = []
    for runnable in (statement, rendered):
        with accounting.recording() as recording, engine.connect() as connection:
            result = (
                connection.execute(statement)
                if runnable is statement
                else connection.exec_driver_sql(rendered)
            )
            answers.append(([tuple(row) for row in result], recording.requests))
    assert answers[0] == answers[1]
    assert answers[0][0] and answers[0][1] > 0


def test_the_calls_superset_makes_to_list_and_describe_cost_nothing(engine: Any, emulator: Any) -> None:
    emulator.reset_stats()
    with accounting.recording() as recording:
        with engine.connect() as connection:
            assert engine.dialect.do_ping(connection.connection.dbapi_connection)  # "Test connection"
        inspector = sqlalchemy.inspect(engine)
        schema = inspector.default_schema_name
        assert schema in inspector.get_schema_names()
        for name in inspector.get_table_names(schema=schema):
            inspector.get_columns(name, schema=schema)
            inspector.get_pk_constraint(name, schema=schema)
            inspector.get_foreign_keys(name, schema=schema)
            inspector.get_indexes(name, schema=schema)
            inspector.get_unique_constraints(name, schema=schema)
            inspector.get_check_constraints(name, schema=schema)
            inspector.get_table_comment(name, schema=schema)
        assert inspector.get_view_names(schema=schema) == []
    assert recording.requests == 0
    assert emulator.stats()["total"] == 0
    assert engine.dialect.identifier_preparer.quote("select") == '"select"'

"""pandas.read_sql over a DB-API connection: rows, parameters and UTC datetime columns."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
import pytest

from bitbucket_sql import dbapi


def _read_sql(sql: str, conn: Any, **options: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        # pandas warns that only SQLAlchemy connectables are tested; DB-API connections work.
        warnings.filterwarnings("ignore", message=".*SQLAlchemy.*", category=UserWarning)
        return pd.read_sql(sql, conn, **options)


def test_read_sql_with_parameters_and_datetimes(conn: Any, busiest_repository: Any) -> None:
    slug, pull_requests = busiest_repository
    frame = _read_sql(
        "SELECT id, title, created_on FROM pull_requests WHERE repository = ? ORDER BY id",
        conn,
        params=[slug],
    )
    assert list(frame.columns) == ["id", "title", "created_on"]
    assert frame["id"].tolist() == sorted(pull_requests)
    assert frame["title"].tolist() == [pull_requests[i]["title"] for i in sorted(pull_requests)]
    assert isinstance(frame["created_on"].dtype, pd.DatetimeTZDtype)
    assert str(frame["created_on"].dt.tz) == "UTC"
    first = sorted(pull_requests)[0]
    expected = pd.Timestamp(pull_requests[first]["created_on"]).tz_convert("UTC")
    assert frame["created_on"].iloc[0] == expected


def test_read_sql_aggregates_across_repositories(conn: Any, emulator: Any) -> None:
    from _helpers_connect import pull_requests_by_repository

    by_repo = pull_requests_by_repository(emulator)
    frame = _read_sql("SELECT repository, count(*) AS n FROM pull_requests GROUP BY repository", conn)
    assert dict(zip(frame["repository"], frame["n"], strict=True)) == {
        slug: len(prs) for slug, prs in by_repo.items() if prs
    }


def test_read_sql_errors_carry_the_engine_message(conn: Any) -> None:
    # pandas rolls back after a failed statement; the no-op rollback lets the driver's own error through
    with pytest.raises(dbapi.ProgrammingError, match="pull_requests"):
        _read_sql("SELECT * FROM pull_request", conn)

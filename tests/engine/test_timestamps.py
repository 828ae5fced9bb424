"""Timestamps in every form live Bitbucket sends (see docs/emulator-api.md, "Recorded bodies"):
each parses to the same instant, and columns filled from each form are never NULL."""

from __future__ import annotations

import datetime
from typing import Any

import httpx
import pytest

from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.rows import parse_timestamp

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # commit and tag dates: no fraction, +00:00
        ("2025-04-26T09:50:59+00:00", datetime.datetime(2025, 4, 26, 9, 50, 59, tzinfo=UTC)),
        # most objects: microseconds and an offset
        ("2024-11-04T10:01:02.123456+00:00", datetime.datetime(2024, 11, 4, 10, 1, 2, 123456, tzinfo=UTC)),
        # pipelines, steps, deployments: Z with 0 to 9 fractional digits
        ("2021-12-05T08:25:33Z", datetime.datetime(2021, 12, 5, 8, 25, 33, tzinfo=UTC)),
        ("2021-12-05T08:25:33.5Z", datetime.datetime(2021, 12, 5, 8, 25, 33, 500000, tzinfo=UTC)),
        ("2020-11-03T22:14:50.671Z", datetime.datetime(2020, 11, 3, 22, 14, 50, 671000, tzinfo=UTC)),
        ("2021-12-05T08:25:33.54158Z", datetime.datetime(2021, 12, 5, 8, 25, 33, 541580, tzinfo=UTC)),
        ("2021-12-05T08:25:33.037622Z", datetime.datetime(2021, 12, 5, 8, 25, 33, 37622, tzinfo=UTC)),
        ("2021-12-05T08:25:33.0376229Z", datetime.datetime(2021, 12, 5, 8, 25, 33, 37622, tzinfo=UTC)),
        ("2021-12-05T08:25:33.03762299Z", datetime.datetime(2021, 12, 5, 8, 25, 33, 37622, tzinfo=UTC)),
        # webhooks: nine digits, truncated (never rounded into the next second)
        ("2025-08-24T10:00:59.999999999Z", datetime.datetime(2025, 8, 24, 10, 0, 59, 999999, tzinfo=UTC)),
        # /user/permissions/workspaces added_on: no offset means UTC
        ("2021-04-02T14:25:58.600", datetime.datetime(2021, 4, 2, 14, 25, 58, 600000, tzinfo=UTC)),
        ("2021-04-02T14:25:58", datetime.datetime(2021, 4, 2, 14, 25, 58, tzinfo=UTC)),
        # other offsets are converted to UTC
        ("2025-01-01T10:00:00.5+02:00", datetime.datetime(2025, 1, 1, 8, 0, 0, 500000, tzinfo=UTC)),
        ("2025-01-01T10:00:00-0130", datetime.datetime(2025, 1, 1, 11, 30, tzinfo=UTC)),
    ],
)
def test_every_recorded_form_parses_to_the_same_utc_instant(text: str, expected: datetime.datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize("text", ["", "   ", "yesterday", "2025-13-01T00:00:00Z", "2025-01-01T25:00:00Z"])
def test_text_that_is_not_a_timestamp_gives_none(text: str) -> None:
    assert parse_timestamp(text) is None


def test_a_datetime_without_zone_is_taken_as_utc() -> None:
    assert parse_timestamp(datetime.datetime(2025, 1, 1, 12)) == datetime.datetime(2025, 1, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sql", "url", "pick"),
    [
        (
            "SELECT max(date) FROM commits WHERE repository = 'api'",
            "/repositories/acme/api/commits?pagelen=100",
            lambda body: max(parse_timestamp(c["date"]) for c in body["values"]),
        ),
        (
            "SELECT max(created_on) FROM pipelines WHERE repository = 'api'",
            "/repositories/acme/api/pipelines?sort=-created_on&pagelen=1",
            lambda body: parse_timestamp(body["values"][0]["created_on"]),
        ),
        (
            "SELECT max(state_completed_on) FROM deployments WHERE repository = 'api'",
            "/repositories/acme/api/deployments?pagelen=100",
            lambda body: max(parse_timestamp(d["state"]["completed_on"]) for d in body["values"]),
        ),
        (
            "SELECT max(created_at) FROM repository_webhooks WHERE repository = 'api'",
            "/repositories/acme/api/hooks",
            lambda body: max(parse_timestamp(h["created_at"]) for h in body["values"]),
        ),
    ],
)
def test_columns_from_each_form_are_filled_and_match_the_raw_value(
    engine: Engine, emulator: Any, sql: str, url: str, pick: Any
) -> None:
    with httpx.Client(base_url=emulator.base_url, auth=("demo@example.com", "demo-api-token")) as http:
        body = http.get(url).json()
    expected = pick(body)
    value = engine.execute(sql).rows[0][0]
    assert value is not None
    assert value.astimezone(UTC) == expected

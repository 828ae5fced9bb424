"""The generated history is anchored to a date: today by default, fixed for a given anchor."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bitbucket_sql.emulator.generator import ANCHOR_ENVIRONMENT_VARIABLE, anchor_date, data_period, generate


def _timestamps(store: Any) -> list[datetime]:
    """Every pull request's and commit's date: the history a user queries by date."""
    found = []
    for workspace, repository in store.repositories():
        data = store.repo_data(workspace, repository["slug"])
        found += [datetime.fromisoformat(pr["created_on"]) for pr in data.pullrequests.values()]
        found += [datetime.fromisoformat(pr["updated_on"]) for pr in data.pullrequests.values()]
        found += [datetime.fromisoformat(commit["date"]) for commit in data.commits.values()]
    return found


def test_the_history_covers_the_two_years_up_to_the_anchor_date() -> None:
    start, end = data_period("2027-03-15")
    assert (start, end) == (datetime(2025, 3, 15, tzinfo=UTC), datetime(2027, 3, 15, tzinfo=UTC))
    moments = _timestamps(generate("tiny", 1, "2027-03-15"))
    assert all(start <= moment < end for moment in moments)
    assert max(moments) > end - timedelta(days=30)  # recent activity: it looks like today's data


def test_the_same_seed_and_anchor_give_the_same_data_and_another_anchor_shifts_it() -> None:
    first, again = generate("tiny", 1, "2026-11-01"), generate("tiny", 1, date(2026, 11, 1))
    assert _timestamps(first) == _timestamps(again)
    later = generate("tiny", 1, "2026-12-04")
    shift = timedelta(days=33)
    assert [moment + shift for moment in _timestamps(first)] == _timestamps(later)


def test_the_anchor_defaults_to_the_environment_then_to_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ANCHOR_ENVIRONMENT_VARIABLE, "2026-02-03")
    assert anchor_date() == date(2026, 2, 3)
    monkeypatch.delenv(ANCHOR_ENVIRONMENT_VARIABLE)
    assert anchor_date() == datetime.now(UTC).date()


def test_a_bad_anchor_date_says_how_to_write_one() -> None:
    with pytest.raises(ValueError, match=r"anchor date '2026-13-01' is not a date; write it as YYYY-MM-DD"):
        generate("tiny", 1, "2026-13-01")


def test_every_repository_keeps_merging_building_and_deploying_up_to_the_anchor() -> None:
    """The dashboard's default views (the last 30 and 90 days) find work in every repository, and
    the DORA figures are a team's: lead times of hours to days, some failed production deployments."""
    anchor = "2026-12-05"
    _, end = data_period(anchor)
    store = generate("small", 1, anchor)
    lead_hours: list[float] = []
    production = failed = 0
    for workspace, repository in store.repositories():
        data = store.repo_data(workspace, repository["slug"])
        month = end - timedelta(days=30)
        merged = [pr for pr in data.pullrequests.values()
                  if pr["state"] == "MERGED" and datetime.fromisoformat(pr["updated_on"]) >= month]
        runs = [run for run in data.pipelines.values() if datetime.fromisoformat(run["created_on"]) >= month]
        assert merged and runs, f"{workspace}/{repository['slug']} is idle in the last 30 days"
        assert all(datetime.fromisoformat(run["created_on"]) < end for run in data.pipelines.values())
        kinds = {env["uuid"]: env["environment_type"]["name"] for env in data.environments.values()}
        for deployment in data.deployments.values():
            completed = datetime.fromisoformat(deployment["state"]["completed_on"].replace("Z", "+00:00"))
            assert completed <= end
            if kinds[deployment["environment"]["uuid"]] != "Production" or completed < end - timedelta(days=90):
                continue
            production += 1
            if deployment["state"]["status"]["name"] == "FAILED":
                failed += 1
                continue
            authored = datetime.fromisoformat(data.commits[deployment["commit"]["hash"]]["date"])
            lead_hours.append((completed - authored).total_seconds() / 3600)
    assert production >= 50
    assert 0.03 < failed / production < 0.3  # some production deployments fail, most do not
    assert min(lead_hours) > 1 and max(lead_hours) > 48  # hours to days from commit to production

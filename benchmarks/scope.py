"""The concrete values the benchmark questions use (repository, branch, date ranges).

They are chosen from the emulator's store, the way a data engineer picks them from what they
know about their own workspace: the busiest repository, its main branch, and date windows that
end where the data ends. The generated history ends on 2026-10-31, so "this month" is
October 2026 and "the last 90 days" end there too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

WORKSPACE = "acme"


def parse_time(value: str) -> dt.datetime:
    """An API timestamp (ISO-8601 with offset) as an aware UTC datetime."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)


@dataclass(frozen=True)
class Scope:
    workspace: str
    repository: str  # the repository single-repository questions are about
    main_branch: str  # its main branch
    data_end: dt.date  # the day after the newest activity in the workspace
    month_start: dt.date  # first day of the last month with data ("this month")
    recent_start: dt.date  # data_end - 90 days: "the last 90 days" across the workspace
    year_start: dt.date  # first day of data_end's year
    commits_start: dt.date  # the commit range of the single repository: its last 90 days
    commits_end: dt.date
    top_n: int = 20  # rows for "recent" questions about one repository
    everywhere_n: int = 10  # rows for the LIMIT question across every repository
    pr_ids: tuple[int, ...] = (1, 2, 3)  # pull request ids asked for in every repository

    def describe(self) -> str:
        return (
            f"workspace `{self.workspace}`, repository `{self.repository}` (main branch "
            f"`{self.main_branch}`), this month = {self.month_start:%B %Y}, last 90 days = "
            f"{self.recent_start} .. {self.data_end}, commit range {self.commits_start} .. {self.commits_end}"
        )


def choose_scope(store: Any, workspace: str = WORKSPACE, repository: str | None = None) -> Scope:
    """Pick the scope from the store. Without ``repository`` the busiest repository (most pull
    requests) is chosen, which reads every repository's data (and so warms it)."""
    repositories = store.workspaces[workspace].repositories
    newest = max(parse_time(repo["updated_on"]) for repo in repositories.values())
    data_end = newest.date() + dt.timedelta(days=1)
    busiest = repository or max(
        sorted(repositories),
        key=lambda slug: len(store.repo_data(workspace, slug).pullrequests),
    )
    data = store.repo_data(workspace, busiest)
    last_commit = max((parse_time(c["date"]) for c in data.commits.values()), default=newest)
    commits_end = last_commit.date() + dt.timedelta(days=1)
    last_month_day = data_end - dt.timedelta(days=1)
    return Scope(
        workspace=workspace,
        repository=busiest,
        main_branch=repositories[busiest]["mainbranch"]["name"],
        data_end=data_end,
        month_start=last_month_day.replace(day=1),
        recent_start=data_end - dt.timedelta(days=90),
        year_start=last_month_day.replace(month=1, day=1),
        commits_start=commits_end - dt.timedelta(days=90),
        commits_end=commits_end,
    )

"""Sizes of the generated data sets (``--scale``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """Sizes for one scale. Repositories per workspace; commits and PRs are per-repository means."""

    repos: dict[str, int]
    users: int
    commits_per_repo: int
    prs_per_repo: int
    lazy: bool
    cache_limit: int | None


SCALES: dict[str, Scale] = {
    "tiny": Scale({"acme": 5, "globex": 2, "initech": 2}, 8, 40, 6, lazy=False, cache_limit=None),
    "small": Scale({"acme": 10, "globex": 4, "initech": 2}, 20, 300, 60, lazy=False, cache_limit=None),
    "medium": Scale({"acme": 80, "globex": 15, "initech": 5}, 60, 500, 100, lazy=True, cache_limit=None),
    "large": Scale({"acme": 800, "globex": 150, "initech": 50}, 300, 1000, 200, lazy=True, cache_limit=64),
}

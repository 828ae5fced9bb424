"""The emulator's raw HTTP answers, read with plain httpx (not the engine), as ground truth.

Imported by name from the metric and dashboard tests (``from raw_api import RawApi``); the
tests compute each metric from these objects by hand and compare with the engine's SQL.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cached_property
from typing import Any

import httpx

#: The demo data's anchor (its last day) in the metric and dashboard tests: today, as ``bbsql
#: dashboard --demo`` has it, so "the last 30/90 days ending today" (the dashboard's ranges) are
#: the demo's freshest days rather than the suite's pinned 2026-11-01.
DEMO_ANCHOR = dt.datetime.now(dt.UTC).date()
DEMO_USER = "demo@example.com"
DEMO_TOKEN = "demo-api-token"
WORKSPACE = "acme"
PR_STATES = ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")


def timestamp(text: str | None) -> dt.datetime | None:
    """An API timestamp as an aware datetime, cut to microseconds as the engine's rows are."""
    if text is None:
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00"))
    return dt.datetime.fromisoformat(text)


class RawApi:
    """Lists of one workspace's objects, fetched once each."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url.rstrip("/"), auth=(DEMO_USER, DEMO_TOKEN), timeout=60)

    def close(self) -> None:
        self.client.close()

    def items(self, path: str, params: list[tuple[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Every item of a listing, following ``next`` links."""
        found: list[dict[str, Any]] = []
        response = self.client.get(path, params=params or [])
        while True:
            response.raise_for_status()
            page = response.json()
            found.extend(page.get("values", []))
            if not page.get("next"):
                return found
            response = self.client.get(page["next"])

    @cached_property
    def repositories(self) -> list[str]:
        return [repo["slug"] for repo in self.items(f"/repositories/{WORKSPACE}", [("pagelen", 100)])]

    def _per_repository(self, suffix: str, params: list[tuple[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        return {slug: self.items(f"/repositories/{WORKSPACE}/{slug}/{suffix}", params) for slug in self.repositories}

    @cached_property
    def pull_requests(self) -> dict[str, list[dict[str, Any]]]:
        params = [("state", state) for state in PR_STATES] + [("pagelen", 50), ("fields", "+values.reviewers")]
        return self._per_repository("pullrequests", params)

    @cached_property
    def pipelines(self) -> dict[str, list[dict[str, Any]]]:
        return self._per_repository("pipelines", [("pagelen", 100)])

    @cached_property
    def deployments(self) -> dict[str, list[dict[str, Any]]]:
        return self._per_repository("deployments", [("pagelen", 100)])

    @cached_property
    def environments(self) -> dict[str, list[dict[str, Any]]]:
        return self._per_repository("environments", [("pagelen", 100)])

    @cached_property
    def commits(self) -> dict[str, list[dict[str, Any]]]:
        return self._per_repository("commits", [("pagelen", 100)])

    def activity(self, slug: str, pull_request_id: int) -> list[dict[str, Any]]:
        return self.items(f"/repositories/{WORKSPACE}/{slug}/pullrequests/{pull_request_id}/activity", [("pagelen", 50)])

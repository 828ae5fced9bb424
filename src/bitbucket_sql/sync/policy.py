"""The refresh policy of full-refresh tables: how often the per-repository settings tables are
listed again.

Bitbucket has no change feed for settings, permissions, webhooks, restrictions, deploy keys,
variables and the like: the only way to see a change is to list each repository's collection
again, one request per repository and table. On a workspace of 80 repositories that is ~2,000
of the ~2,450 requests of a sync in which nothing changed. A repository's ``updated_on`` cannot
tell which repositories to skip: Bitbucket moves it on pushes and on edits of the repository
itself, not when a permission, webhook, restriction or variable changes, so skipping by it would
miss changes silently.

So the policy is a time: with ``full_refresh_every`` set (``bbsql sync --full-refresh-every 6h``,
the Fivetran connector's ``full_refresh_every``), a per-repository full-refresh table whose last
*complete* refresh is more recent than that is left as it is in the copy (zero requests); once
it is due, it is listed again whole, deletes detected as always. The time of each table's last
complete refresh is kept in the state (``refreshed_at`` of the table's entry), so the policy
holds across runs, resumes and schedules. Tables listed once per workspace (members, workspace
permissions, projects, repositories...) cost one request each and are refreshed on every sync,
and so are ``branches``, whose listing the commits feed reads anyway, and ``deployments``,
history that deployment-frequency metrics need as fresh as pull requests.
"""

from __future__ import annotations

import datetime
import re

from bitbucket_sql.catalog.model import TableDef

_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

#: Full-refresh tables refreshed on every sync whatever the policy: ``branches`` (the commits
#: feed reads its listing anyway) and ``deployments`` (history that DORA metrics need fresh; the
#: API gives its listing no change filter).
ALWAYS_REFRESHED: frozenset[str] = frozenset({"branches", "deployments"})

#: The key of a table's entry in the state that holds the start of its last complete refresh.
REFRESHED_AT = "refreshed_at"


def parse_duration(text: str) -> datetime.timedelta:
    """``15m``, ``1h30m``, ``90s``, ``1d`` as a timedelta; ValueError naming the text otherwise."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != compact:
        raise ValueError(f"{text!r} is not a duration such as 15m, 6h, 1d or 1h30m")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds < 1:
        raise ValueError(f"{text!r}: the duration must be at least one second")
    return datetime.timedelta(seconds=seconds)


def follows_policy(definition: TableDef) -> bool:
    """Whether ``full_refresh_every`` applies to a full-refresh table: those listed once per
    repository (or per parent object), never the workspace-level ones (one request each)."""
    if definition.name in ALWAYS_REFRESHED:
        return False
    return definition.scope == "repository" or any(
        key.placeholder not in ("workspace", "repo_slug") for key in definition.keys
    )


def refresh_due(
    entry: dict[str, object], every: datetime.timedelta | None, now: datetime.datetime
) -> bool:
    """Whether a table whose state entry is ``entry`` must be listed again now."""
    if every is None:
        return True
    last = entry.get(REFRESHED_AT)
    if not isinstance(last, str):
        return True
    try:
        refreshed = datetime.datetime.fromisoformat(last)
    except ValueError:
        return True
    return now - refreshed >= every

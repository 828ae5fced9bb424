"""Metric parameters from ``key=value`` text, as ``bbsql query --metric NAME --param key=value`` takes them.

Keys: ``workspace``, ``repository`` (a slug; repeat it or separate slugs with commas),
``project`` (a project key: its repositories), ``start`` and ``end`` (``YYYY-MM-DD``, both
included), ``days`` (the length of the range ending at ``end``, default 90).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from bitbucket_sql.metrics.model import DEFAULT_DAYS, MetricError, MetricParams

KEYS = ("workspace", "repository", "project", "start", "end", "days")


def _date(key: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise MetricError(f"{key}={text!r} is not a date; write it as YYYY-MM-DD") from None


def params_from_pairs(
    pairs: Iterable[str], default_workspace: str | None = None, source: Any = None
) -> MetricParams:
    """MetricParams from ``key=value`` strings; ``project`` is resolved through ``source``."""
    values: dict[str, list[str]] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        key = key.strip().lower()
        if not separator or key not in KEYS:
            raise MetricError(
                f"metric parameter {pair!r} is not key=value with a known key; use {', '.join(KEYS)}"
            )
        values.setdefault(key, []).append(value.strip())
    workspace = (values.get("workspace") or [default_workspace or ""])[-1]
    repositories = [slug.strip() for text in values.get("repository", []) for slug in text.split(",") if slug.strip()]
    if "project" in values:
        if source is None:
            raise MetricError("project=... needs a connection or a sync file to look up its repositories")
        keys = {key.upper() for key in values["project"]}
        in_projects = [slug for slug, project in source.repositories(workspace) if (project or "").upper() in keys]
        if not in_projects:
            raise MetricError(f"no repository of workspace {workspace!r} belongs to project {', '.join(sorted(keys))}")
        repositories = [slug for slug in in_projects if not repositories or slug in repositories] or in_projects
    end = _date("end", values["end"][-1]) if "end" in values else None
    start = _date("start", values["start"][-1]) if "start" in values else None
    if start is None and "days" in values:
        text = values["days"][-1]
        if not text.isdigit() or int(text) < 1:
            raise MetricError(f"days={text!r} must be a whole number of days, 1 or more")
        last = end or dt.datetime.now(dt.UTC).date()
        start = last - dt.timedelta(days=int(text) - 1)
    if start is None and end is not None:
        start = end - dt.timedelta(days=DEFAULT_DAYS - 1)
    return MetricParams(workspace=workspace, repositories=tuple(dict.fromkeys(repositories)), start=start, end=end)


def metric_statement(engine: Any, name: str, pairs: Iterable[str]) -> tuple[str, list[Any]]:
    """The SQL and ``?`` values of metric ``name`` for ``key=value`` parameters, on ``engine``'s
    connection (its Workspace is the default workspace): what ``bbsql query --metric`` runs."""
    from bitbucket_sql.metrics.model import render
    from bitbucket_sql.metrics.sources import LiveSource, get_metric

    metric = get_metric(name)
    params = params_from_pairs(pairs, engine.default_schema, LiveSource(engine))
    return render(metric, params)

"""What a metric is: a name, its definition in words, and one SQL statement with parameters.

A metric's SQL is a template with a few named slots, filled by :func:`render` in text order:

- ``{ws}``: the workspace, as a quoted schema name (``"acme"``): the same name addresses the
  live engine's schema and a ``bbsql sync`` file's schema;
- ``{start}`` / ``{end}``: a ``?`` bound to the first instant of the range / the first instant
  after it (UTC midnights; the end is exclusive);
- ``{repos:alias}``: ``AND alias.repository IN (?, ...)`` when repositories are chosen, else
  nothing, so an unfiltered metric has no repository predicate at all and a filtered one
  becomes request URLs (one per repository) instead of a listing of every repository.

Values always travel as bound parameters, never as SQL text; only the workspace is spliced in,
as a quoted identifier.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

#: How many days the range covers when neither end says otherwise.
DEFAULT_DAYS = 90

_SLOT = re.compile(r"\{(ws|start|end|repos)(?::(\w+))?\}")


class MetricError(ValueError):
    """A metric or parameter the caller got wrong; the message names it and says what to do."""


@dataclass(frozen=True)
class Metric:
    """One engineering metric.

    ``definition`` is what the number means (for DORA metrics, the DORA definition and how it
    is measured from Bitbucket data); ``cost`` says which requests it needs live, so nobody is
    surprised by a rate limit; ``uses_dates`` is False for snapshots such as open pull requests
    by age, which describe now whatever the range.
    """

    name: str
    title: str
    definition: str
    sql: str
    cost: str
    dora: bool = False
    uses_dates: bool = True
    #: tables the SQL reads (a sync file must hold them)
    tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricParams:
    """Where and when: the workspace, optionally some repositories, and a range of whole days.

    ``start`` and ``end`` are both included (``end`` defaults to today in UTC, ``start`` to
    ``DEFAULT_DAYS`` days before, counting ``end``).
    """

    workspace: str
    repositories: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None

    def __post_init__(self) -> None:
        if not self.workspace or not self.workspace.strip():
            raise MetricError("no workspace given: pass workspace=<slug> (the schema of the tables)")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise MetricError(f"the range starts ({self.start}) after it ends ({self.end}); swap start and end")

    @property
    def last_day(self) -> dt.date:
        return self.end or dt.datetime.now(dt.UTC).date()

    @property
    def first_day(self) -> dt.date:
        return self.start or self.last_day - dt.timedelta(days=DEFAULT_DAYS - 1)

    @property
    def start_instant(self) -> dt.datetime:
        """Midnight UTC opening the first day."""
        return dt.datetime.combine(self.first_day, dt.time(), tzinfo=dt.UTC)

    @property
    def end_instant(self) -> dt.datetime:
        """Midnight UTC after the last day (exclusive bound)."""
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def render(metric: Metric, params: MetricParams) -> tuple[str, list[Any]]:
    """The metric's SQL with its slots filled, and the values of its ``?`` in order."""
    values: list[Any] = []

    def fill(match: re.Match[str]) -> str:
        slot, alias = match.group(1), match.group(2)
        if slot == "ws":
            return quote_identifier(params.workspace)
        if slot == "start":
            values.append(params.start_instant)
            return "?"
        if slot == "end":
            values.append(params.end_instant)
            return "?"
        if not params.repositories:
            return ""
        column = f"{alias}.repository" if alias else "repository"
        values.extend(params.repositories)
        return f"AND {column} IN ({', '.join('?' for _ in params.repositories)})"

    return _SLOT.sub(fill, metric.sql), values

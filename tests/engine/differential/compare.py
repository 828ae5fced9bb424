"""Running generated queries on both engines, comparing answers, attributing mismatches.

Ground truth is the engine with ``pushdown=False`` (every scope fetched whole, DuckDB does all the
work; its scans are cached, the data never changes). The engine under test has pushdown on and no
cache, so every query makes its own requests and they can be counted.

A mismatch is *attributed* to bug classes by re-running the query with the pieces of those classes
kept local (``Query.sql(neutralize=...)``): if the answer then agrees, those classes explain it.
Mismatches explained only by classes listed in :data:`KNOWN_OPEN` are known, documented and
counted; every other mismatch fails the test.
"""

from __future__ import annotations

import ast
import datetime
import decimal
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bitbucket_sql.engine import Engine

from .generator import (
    CHILD_KEY,
    JOINED_SLUG,
    LIKE,
    MISSING_KEY,
    NEGATION,
    NESTED_KEY,
    NONINTEGRAL_KEY,
    STRING_RANGE,
    TINY_DECIMAL,
    UUID_KEY,
    WHOLE_ROW,
    Query,
)

#: Bug classes still open: a mismatch explained by these alone is reported, not failed. Each entry
#: must name its finding in the team's differential findings notes (reproduction, expected, got,
#: diagnosis), as in ``CLASSES``. Empty since every class found (F1-F11) was fixed, so any of them
#: regressing fails. Add an entry only for a known, documented bug whose fix is pending, and remove
#: it when the fix lands; ``BBSQL_DIFF_STRICT=1`` ignores this list.
KNOWN_OPEN: dict[str, str] = {}

#: Every bug class the generator tags, with its finding (named in reports of regressions).
CLASSES: dict[str, str] = {
    NEGATION: "F1: !=, <>, NOT IN, NOT(...) on nullable columns must be supersets re-checked locally",
    LIKE: "F2: LIKE/ILIKE pushed as ~ only where case folding agrees (İ/ı, ς/σ, ß/ẞ, ſ, K)",
    STRING_RANGE: "F3: string ranges are never exact nor drive early stops",
    TINY_DECIMAL: "F4: tiny decimals render in plain notation in BBQL",
    WHOLE_ROW: "F5: whole-row references and COLUMNS(...) need every column",
    UUID_KEY: "F6: key columns come from the response, not from a {uuid} literal",
    MISSING_KEY: "F7: a named repository that does not exist is an error naming it",
    NONINTEGRAL_KEY: "F8: pull_request_id = 52.5 matches no row without a lookup",
    CHILD_KEY: "F9: pull_request_id named with enumerated or listed repositories (F9b): an error only if in none",
    NESTED_KEY: "F10: keys named in EXISTS / IN subqueries / LEFT JOIN ON / reached through a join mean no rows, not 'not found'",
    JOINED_SLUG: "F11: r.slug = ' x1' copied to a joined table's key matches no row instead of failing",
    **KNOWN_OPEN,
}

MAX_ROWS = 7


def normalize(value: Any) -> Any:
    """A comparable, printable form: floats rounded, JSON text parsed, structs and lists recursed."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, decimal.Decimal):
        return str(value.normalize())
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return tuple((key, normalize(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return tuple(normalize(item) for item in value)
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return ("json", normalize(json.loads(value)))
        except ValueError:
            return value
    return value


def _names(message: str, value: str) -> bool:
    """Whether an error message names ``value`` as a whole number (50 is not named by 150)."""
    return re.search(rf"(?<![\w.]){re.escape(value)}(?![\w.])", message) is not None


def rows_of(result_rows: list[tuple[Any, ...]]) -> list[str]:
    return [repr(normalize(row)) for row in result_rows]


def agree(query: Query, truth: list[str], got: list[str]) -> bool:
    """Whether ``got`` is a correct answer given the ground truth and the query's ordering."""
    if query.order == "total":
        return truth == got
    if query.order == "keys":
        width = query.order_columns
        truth_keys = [_prefix(row, width) for row in truth]
        got_keys = [_prefix(row, width) for row in got]
        if truth_keys != got_keys:
            return False
        return query.limited or Counter(truth) == Counter(got)
    return Counter(truth) == Counter(got)


def _prefix(row_repr: str, width: int) -> str:
    """The first ``width`` values of a row repr (normalized rows hold only literals)."""
    return repr(ast.literal_eval(row_repr)[:width])


@dataclass
class Answer:
    rows: list[str] | None
    error: str | None
    requests: int = 0


def run(engine: Engine, sql: str, params: list[str] | None = None) -> Answer:
    try:
        result = engine.execute(sql, params or None)
    except Exception as error:  # noqa: BLE001 - any failure is an answer to compare
        return Answer(None, f"{type(error).__name__}: {error}")
    return Answer(rows_of(result.rows), None, result.stats.requests)


@dataclass
class Verdict:
    """The outcome of one query."""

    status: str  # match | known | mismatch | invalid
    classes: frozenset[str] = frozenset()
    detail: str = ""
    requests: int = 0


@dataclass
class Differential:
    """Both engines and the bookkeeping of a run."""

    truth: Engine
    pushed: Engine
    capped: Engine
    strict: bool = False
    baseline: dict[str, int] = field(default_factory=dict)

    def expected_ok(self, query: Query, neutralize: frozenset[str], truth: Answer, got: Answer) -> bool:
        missing = query.missing_key if MISSING_KEY not in neutralize else None
        if missing is not None:
            if got.error is not None:
                return missing in got.error
            # the engine proved the answer empty without asking the API (e.g. id = 65.5): it never
            # learned that the key is missing, and the empty answer is right
            return got.requests == 0 and truth.rows is not None and got.rows is not None and agree(
                query, truth.rows, got.rows
            )
        if got.error is not None and any(_names(got.error, value) for value in query.optional_errors):
            return CHILD_KEY not in neutralize
        if got.error is not None or truth.rows is None or got.rows is None:
            return False
        return agree(query, truth.rows, got.rows)

    def evaluate(self, query: Query, neutralize: frozenset[str]) -> tuple[str, Answer, Answer]:
        """Run (a variant of) the query on both engines: a problem description, or "" when right."""
        sql, params = query.statement(neutralize)
        truth = run(self.truth, sql, params)
        if truth.error is not None:
            return "invalid", truth, truth
        got = run(self.pushed, sql, params)
        if not self.expected_ok(query, neutralize, truth, got):
            return "wrong answer", truth, got
        if query.check_max_rows and got.error is None:  # an accepted error (a missing key) has no rows to cap
            problem = self.check_max_rows(query, sql, params, truth)
            if problem:
                return problem, truth, got
        return "", truth, got

    def check(self, query: Query) -> tuple[Verdict, Answer, Answer]:
        problem, truth, got = self.evaluate(query, frozenset())
        if problem == "invalid":
            return Verdict("invalid", detail=truth.error or ""), truth, got
        if not problem:
            return Verdict("match", requests=got.requests), truth, got
        explanations = self.attribute(query)
        classes = frozenset().union(*explanations) if explanations else frozenset()
        known = KNOWN_OPEN if not self.strict else {}
        if any(explanation <= set(known) for explanation in explanations):
            return Verdict("known", classes, requests=got.requests), truth, got
        if explanations:
            detail = "explained by " + " or ".join("+".join(sorted(e)) for e in explanations)
        else:
            detail = "unexplained"
        return Verdict("mismatch", classes, f"{problem}; {detail}", got.requests), truth, got

    def attribute(self, query: Query) -> list[frozenset[str]]:
        """The smallest sets of the query's bug classes whose neutralization fixes the answer.

        An OR tree is pushed whole or not at all, so neutralizing any one class inside it can
        fix an answer: every single class that does is returned (any of them may be the cause).
        """
        tags = sorted(query.tags)
        rounds = [[frozenset({tag}) for tag in tags]]
        rounds.append([frozenset({a, b}) for i, a in enumerate(tags) for b in tags[i + 1 :]])
        if len(tags) > 2:
            rounds.append([frozenset(tags)])
        for candidates in rounds:
            fixing = [subset for subset in candidates if not self.evaluate(query, subset)[0]]
            if fixing:
                return fixing
        return []

    def check_max_rows(self, query: Query, sql: str, params: list[str], truth: Answer) -> str:
        """MaxRows caps the answer: the first rows when the order is total, else a subset."""
        assert truth.rows is not None
        capped = run(self.capped, sql, params)
        if capped.rows is None:
            return f"MaxRows={MAX_ROWS} failed: {capped.error}"
        if query.order == "total":
            ok = capped.rows == truth.rows[:MAX_ROWS]
        elif query.order == "keys":  # ties: the sort keys are fixed, the tied rows are not
            width = query.order_columns
            ok = [_prefix(row, width) for row in capped.rows] == [_prefix(row, width) for row in truth.rows][:MAX_ROWS]
            ok = ok and (query.limited or not (Counter(capped.rows) - Counter(truth.rows)))
        else:
            ok = len(capped.rows) == min(MAX_ROWS, len(truth.rows)) and not (Counter(capped.rows) - Counter(truth.rows))
        return "" if ok else f"MaxRows={MAX_ROWS} gave {capped.rows!r}"

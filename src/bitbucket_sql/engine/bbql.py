"""BBQL filters as a small syntax tree, and the one renderer that turns them into ``q`` text.

Every ``q`` the engine sends is built from these nodes (:class:`Comparison`, :class:`And`,
:class:`Or`, :class:`Not`, :class:`Literal`) and rendered by :func:`render`, and EXPLAIN prints
the same rendering: what is shown is what is sent. Keeping the text in one place is what makes
these rules hold everywhere:

* **Precedence is never left to the API.** Bitbucket's documentation does not say whether AND
  binds tighter than OR, so every compound operand of AND/OR is parenthesised:
  ``state = "OPEN" OR (comment_count >= 2 AND comment_count <= 3)``.
* **Literals are always well formed.** Strings are double-quoted with ``\\`` and ``"``
  backslash-escaped; numbers are written in plain decimal notation (BBQL rejects ``1e-05``);
  timestamps are unquoted ISO-8601 in UTC; ``true``/``false``/``null`` are keywords. A value with
  no BBQL form (NaN, infinity, an unknown type) raises :class:`BBQLValueError` when the node
  is built, never when a request is already on its way.
* **No undocumented syntax is sent.** A prefix ``NOT`` is not documented, so :class:`Not` is
  rendered by pushing the negation inward (De Morgan, and each operator's complement in BBQL's
  two-valued logic: ``NOT (a < 5)`` is ``(a >= 5 OR a = null)``, since BBQL's ``<`` is false for a
  missing field). The complements of ordering operators assume a field with one value (not a
  path through an array); the engine only compares such fields.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass
from decimal import Decimal

#: Comparison operators of BBQL (``~``/``!~``: case-insensitive contains / does not contain).
OPERATORS = frozenset({"=", "!=", "~", "!~", "<", "<=", ">", ">=", "IN", "NOT IN"})

#: Each operator's complement in BBQL's two-valued logic (a missing field fails ``<``, ``>``...).
_COMPLEMENTS = {"=": "!=", "!=": "=", "~": "!~", "!~": "~", "IN": "NOT IN", "NOT IN": "IN"}
_ORDERING_COMPLEMENTS = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}

#: Field paths as the API spells them: dotted identifiers (``author.uuid``, ``merge_commit.hash``).
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")

Value = str | bool | int | float | Decimal | datetime.datetime | datetime.date | None


class BBQLValueError(ValueError):
    """A value or field that has no BBQL form (the predicate stays local instead)."""


@dataclass(frozen=True)
class Literal:
    """A constant: string, number, boolean, timestamp, date or ``None`` (BBQL ``null``)."""

    value: Value

    def __post_init__(self) -> None:
        value = self.value
        if isinstance(value, float) and not math.isfinite(value):
            raise BBQLValueError(f"{value} has no BBQL form")
        if isinstance(value, Decimal) and not value.is_finite():
            raise BBQLValueError(f"{value} has no BBQL form")
        if value is not None and not isinstance(value, str | bool | int | float | Decimal | datetime.date):
            raise BBQLValueError(f"a {type(value).__name__} value has no BBQL form")


@dataclass(frozen=True)
class Comparison:
    """``field op value``, or ``field [NOT] IN (values...)`` (``values`` holds one literal otherwise)."""

    field: str
    op: str
    values: tuple[Literal, ...]

    def __post_init__(self) -> None:
        if not _FIELD.fullmatch(self.field):
            raise BBQLValueError(f"{self.field!r} is not a BBQL field path")
        if self.op not in OPERATORS:
            raise BBQLValueError(f"{self.op!r} is not a BBQL operator")
        if self.op in ("IN", "NOT IN"):
            if not self.values:
                raise BBQLValueError(f"{self.field} {self.op} needs at least one value")
        elif len(self.values) != 1:
            raise BBQLValueError(f"{self.field} {self.op} takes exactly one value")
        if any(v.value is None for v in self.values) and self.op not in ("=", "!="):
            raise BBQLValueError(f"null can only be compared with = or != ({self.field} {self.op})")


@dataclass(frozen=True)
class And:
    """All operands hold (at least two; build with :func:`conjunction`)."""

    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """At least one operand holds (at least two; build with :func:`disjunction`)."""

    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The operand does not hold (in BBQL's two-valued logic: a missing field makes it hold)."""

    operand: Node


Node = Comparison | And | Or | Not


# --- building --------------------------------------------------------------------------------


def compare(field: str, op: str, value: Value) -> Comparison:
    """``field op value`` (``value`` None is BBQL ``null``)."""
    return Comparison(field, op, (Literal(value),))


def member(field: str, values: list[Value] | tuple[Value, ...], *, negated: bool = False) -> Comparison:
    """``field IN (values)`` or ``field NOT IN (values)``."""
    return Comparison(field, "NOT IN" if negated else "IN", tuple(Literal(v) for v in values))


def conjunction(*nodes: Node | None) -> Node | None:
    """AND of the given nodes (None skipped, nested ANDs flattened, repeats dropped); None when empty."""
    return _combine(And, nodes)


def disjunction(*nodes: Node | None) -> Node | None:
    """OR of the given nodes (None skipped, nested ORs flattened, repeats dropped); None when empty."""
    return _combine(Or, nodes)


def _combine(kind: type[And] | type[Or], nodes: tuple[Node | None, ...]) -> Node | None:
    operands: list[Node] = []
    seen: set[str] = set()
    for node in nodes:
        if node is None:
            continue
        for operand in node.operands if isinstance(node, kind) else (node,):
            text = render(operand)  # `a = null OR a = null` says it once (text: `1` is not `true`)
            if text not in seen:
                seen.add(text)
                operands.append(operand)
    if not operands:
        return None
    return operands[0] if len(operands) == 1 else kind(tuple(operands))


def negated(node: Node) -> Node:
    """The complement of ``node`` using only documented syntax (no prefix NOT)."""
    if isinstance(node, Not):
        return node.operand
    if isinstance(node, And):
        result = disjunction(*(negated(operand) for operand in node.operands))
    elif isinstance(node, Or):
        result = conjunction(*(negated(operand) for operand in node.operands))
    elif node.op in _COMPLEMENTS:
        return Comparison(node.field, _COMPLEMENTS[node.op], node.values)
    else:
        result = disjunction(
            Comparison(node.field, _ORDERING_COMPLEMENTS[node.op], node.values), compare(node.field, "=", None)
        )
    assert result is not None
    return result


# --- rendering -------------------------------------------------------------------------------


def render(node: Node) -> str:
    """The ``q`` text of ``node``: compound operands always parenthesised, literals well formed."""
    if isinstance(node, Not):
        return render(negated(node.operand))
    if isinstance(node, And | Or):
        joiner = " AND " if isinstance(node, And) else " OR "
        return joiner.join(_operand(operand) for operand in node.operands)
    if node.op in ("IN", "NOT IN"):
        return f"{node.field} {node.op} ({', '.join(render_literal(v.value) for v in node.values)})"
    return f"{node.field} {node.op} {render_literal(node.values[0].value)}"


def _operand(node: Node) -> str:
    """An operand of AND/OR: parenthesised whenever it is compound (after NOT is pushed inward)."""
    if isinstance(node, Not):
        node = negated(node.operand)
    text = render(node)
    return f"({text})" if isinstance(node, And | Or) else text


def render_literal(value: Value) -> str:
    """A value as BBQL text (see the module docstring for the rules)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return plain_number(value)
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        return moment.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return quote(value)


def plain_number(value: int | float | Decimal) -> str:
    """``0.00001``, ``-2.5``, ``100``: plain decimal notation, never an exponent."""
    if isinstance(value, bool):
        raise BBQLValueError("a boolean is not a number")
    if isinstance(value, int):
        return str(value)
    number = Decimal(repr(value)) if isinstance(value, float) else value
    if not number.is_finite():
        raise BBQLValueError(f"{value} has no BBQL form")
    if number == number.to_integral_value():
        return str(int(number))
    text = format(number, "f")
    return text.rstrip("0") if "." in text else text


def quote(text: str) -> str:
    """A BBQL string literal: double quotes, with ``\\`` and ``"`` backslash-escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

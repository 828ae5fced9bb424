"""Translating single-table SQL predicates into what the API can evaluate.

A predicate becomes one of: key values (``repository = 'api'`` fixes the URL), object ids for
a GET (``id = 5``), a plain query parameter (``target.ref_name=main``), or a BBQL ``q`` term,
built as a :mod:`.bbql` tree (rendered in one place). Literals are coerced to the column's type
first (``votes > '48'`` is a number), so the BBQL is always well typed. Anything that cannot be
translated *exactly or as a superset* raises NotPushable and stays local.

Whether a pushed term is exact or only a superset is never decided here: the column says so
(``Column.pushdown(op)``, declared in the catalog). A superset (``!=`` also matching null
fields, ``LIKE`` as ``~``) is re-checked by DuckDB and marks the translation ``superset``, so
the planner never lets it drive an early stop or a pushed LIMIT. Two rules are about BBQL
itself rather than a column: a LIKE pattern is pushed only through a fragment whose case
folding is the same in DuckDB and in any plausible API (:func:`like_fragment`), and the
negation of a compound predicate is a superset (BBQL's two-valued NOT keeps null fields).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlglot import exp

from bitbucket_sql.catalog.model import Column, TableDef

from . import bbql
from .rows import parse_timestamp


class NotPushable(Exception):
    """The expression cannot be sent to the API exactly (or as a superset)."""


_NULL = object()

#: Longest IN list sent in ``q`` (longer lists stay local: URLs have practical length limits).
MAX_IN_VALUES = 50


@dataclass
class Translation:
    """What one conjunct contributes to a scan's requests."""

    key_values: dict[str, frozenset[Any]] = field(default_factory=dict)  # key column -> allowed values
    get_values: dict[str, frozenset[Any]] = field(default_factory=dict)  # get_key column -> ids
    params: dict[str, str] = field(default_factory=dict)
    bbql: bbql.Node | None = None
    #: True when the API may return more rows than the predicate keeps (as the column declares)
    superset: bool = False


_COMPARISONS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "!=",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
}
_FLIPPED = {"=": "=", "!=": "!=", ">": "<", ">=": "<=", "<": ">", "<=": ">="}


# --- literals -----------------------------------------------------------------------------------


def literal_value(node: exp.Expression) -> Any:
    """The Python value of a constant expression (raises NotPushable for anything else)."""
    if isinstance(node, exp.Paren):
        return literal_value(node.this)
    if isinstance(node, exp.Null):
        return _NULL
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return str(node.this)
        return _number(str(node.this))
    if isinstance(node, exp.Neg):
        value = literal_value(node.this)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return -value
        raise NotPushable
    if isinstance(node, exp.Cast):
        inner = literal_value(node.this)
        target = node.to.this
        if inner is _NULL:
            return _NULL
        if target in (exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMP,
                      exp.DataType.Type.TIMESTAMPNTZ, exp.DataType.Type.TIMESTAMPLTZ):
            stamp = parse_timestamp(inner) if isinstance(inner, str) else None
            if stamp is None:
                raise NotPushable
            return stamp
        if target == exp.DataType.Type.DATE:
            try:
                return datetime.date.fromisoformat(str(inner).strip())
            except ValueError:
                raise NotPushable from None
        if target in exp.DataType.TEXT_TYPES and isinstance(inner, str):
            return inner
        if target in exp.DataType.NUMERIC_TYPES:
            return _number(str(inner))
        raise NotPushable
    raise NotPushable


#: Longest number sent in ``q`` (plain notation); longer ones (``1e-300``) stay local.
MAX_NUMBER_CHARS = 40


def _number(text: str) -> int | Decimal:
    """An integer, or the exact decimal the SQL text says (never a float: ``0.1`` stays ``0.1``)."""
    try:
        if all(ch.isdigit() for ch in text.lstrip("+-")) and text.lstrip("+-"):
            return int(text)
        value = Decimal(text)
    except InvalidOperation:
        raise NotPushable from None
    if not value.is_finite():
        raise NotPushable
    return value if value != value.to_integral_value() else int(value)


def coerce_for_column(value: Any, column: Column) -> Any:
    """The literal as the column's type, the way DuckDB would cast it (NotPushable if unsure)."""
    if value is _NULL:
        return _NULL
    sql_type = column.type
    if sql_type == "VARCHAR":
        if isinstance(value, str):
            return value
        raise NotPushable  # DuckDB would cast the column, not the literal: keep it local
    if sql_type in ("BIGINT", "DOUBLE"):
        if isinstance(value, bool):
            raise NotPushable
        if isinstance(value, str):
            value = _number(value.strip())
            if sql_type == "BIGINT" and isinstance(value, Decimal):
                raise NotPushable  # DuckDB casts '4.5' to the column's BIGINT (rounding): keep it local
        if isinstance(value, float) and not math.isfinite(value):
            raise NotPushable
        if isinstance(value, Decimal) and not value.is_finite():
            raise NotPushable
        if isinstance(value, float | Decimal) and value == int(value):
            value = int(value)  # 14 / 2 folds to 7.0: the id 7
        if isinstance(value, int | float | Decimal):
            if len(bbql.plain_number(value)) > MAX_NUMBER_CHARS:
                raise NotPushable  # 1e-300 in plain notation is 300 digits: keep it local
            return value  # a numeric literal is compared numerically by DuckDB and by BBQL
        raise NotPushable
    if sql_type == "BOOLEAN":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "t", "f"):
            return value.strip().lower().startswith("t")
        raise NotPushable
    if sql_type == "TIMESTAMPTZ":
        if isinstance(value, datetime.datetime):
            return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        if isinstance(value, datetime.date):
            return datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.UTC)
        if isinstance(value, str):
            stamp = parse_timestamp(value)
            if stamp is None:
                raise NotPushable
            return stamp
        raise NotPushable
    if sql_type == "DATE":
        if isinstance(value, datetime.datetime):
            raise NotPushable  # DuckDB compares as timestamps
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value.strip())
            except ValueError:
                raise NotPushable from None
        raise NotPushable
    raise NotPushable


def param_text(value: Any) -> str:
    """A coerced value as a plain query parameter."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return bbql.plain_number(value)
    return str(value)


# --- predicates ----------------------------------------------------------------------------------


#: Letters that Unicode case mappings relate to non-ASCII characters: DuckDB's ILIKE matches
#: 'İ' and 'ı' for ``i``, the Kelvin sign 'K' for ``k`` and the long s 'ſ' for ``s``, while an API
#: folding with Python's or PostgreSQL's rules may not (``'İ'.lower()`` is 'i' + U+0307; Turkish
#: locales lower 'I' to 'ı'). tests/engine/test_pushdown_unit.py re-derives the list from DuckDB.
FOLD_AMBIGUOUS = frozenset("iIkKsS")


def fold_safe(char: str) -> bool:
    """True when ``char`` folds the same way in DuckDB and in any plausible API.

    Printable ASCII other than :data:`FOLD_AMBIGUOUS`: the only text characters that DuckDB's
    LIKE/ILIKE matches against such a character are its ASCII case variants, and every
    case-insensitive comparison treats those alike. Non-ASCII letters are never safe (Greek
    final sigma, German ß, dotted and dotless i all fold differently from one system to the next).
    """
    return " " <= char <= "~" and char not in FOLD_AMBIGUOUS


def like_fragment(pattern: str) -> str | None:
    """The longest fold-safe literal run of a LIKE pattern, or None.

    BBQL's ``~`` ("contains, ignoring case") on that run matches every row the pattern matches,
    with LIKE or ILIKE, only when the run folds identically in DuckDB and in the API; any other
    character (a wildcard, an ``i``/``k``/``s``, a non-ASCII letter, a control character) ends the run.
    """
    best = ""
    current: list[str] = []
    for char in pattern:
        if char in "%_" or not fold_safe(char):
            if len(current) > len(best):
                best = "".join(current)
            current = []
        else:
            current.append(char)
    if len(current) > len(best):
        best = "".join(current)
    return best or None


#: Functions whose value changes between calls: never folded into a constant.
VOLATILE_FUNCTIONS = frozenset({"random", "uuid", "gen_random_uuid", "uuidv4", "uuidv7", "nextval", "currval", "setseed"})


def is_constant(node: exp.Expression) -> bool:
    """No columns, subqueries, aggregates, windows, placeholders or volatile functions."""
    if node.find(exp.Column, exp.Subquery, exp.Select, exp.AggFunc, exp.Window, exp.Placeholder, exp.Parameter,
                 exp.Rand, exp.Star):
        return False
    names = {func.sql_name().lower() for func in node.find_all(exp.Func)}
    names |= {str(func.this).lower() for func in node.find_all(exp.Anonymous)}
    return not (names & VOLATILE_FUNCTIONS)


Folder = Callable[[exp.Expression], Any]


class Translator:
    """Translates conjuncts on one table; ``key_columns`` are URL keys other than workspace.

    ``fold`` evaluates a constant expression (``now() - INTERVAL 7 DAY``, ``lower('API')``) in
    the query's own DuckDB transaction, so such bounds can be pushed like literals.
    """

    def __init__(self, table: TableDef, fold: Folder | None = None) -> None:
        self.table = table
        self.fold = fold
        self.key_columns = {key.column for key in table.keys if key.placeholder != "workspace"}
        self.key_columns.discard("workspace")
        self.can_get = bool(table.get_path and len(table.get_key) == 1)

    def translate(self, conjunct: exp.Expression) -> Translation | None:
        """The API form of one conjunct, or None when it must stay local."""
        try:
            return self._translate(conjunct)
        except NotPushable:
            return None

    def _value(self, node: exp.Expression) -> Any:
        """A literal's value, or a constant expression's value computed by ``fold``."""
        try:
            return literal_value(node)
        except NotPushable:
            if self.fold is None or not is_constant(node):
                raise
        try:
            value = self.fold(node)
        except Exception:  # noqa: BLE001 - whatever DuckDB says, the predicate just stays local
            raise NotPushable from None
        if value is None:
            return _NULL
        if isinstance(value, Decimal):
            return value if value != value.to_integral_value() else int(value)
        if isinstance(value, str | bool | int | float | datetime.date):
            return value
        raise NotPushable

    def _column(self, node: exp.Expression) -> Column:
        if not isinstance(node, exp.Column) or not isinstance(node.this, exp.Identifier):
            raise NotPushable
        column = self.table.column(node.name)
        if column is None:
            raise NotPushable
        return column

    def _translate(self, node: exp.Expression) -> Translation:
        if isinstance(node, exp.Paren):
            return self._translate(node.this)
        if isinstance(node, exp.Or):
            return self._or(node)
        if isinstance(node, exp.And):
            left, right = self._translate(_expression(node.left)), self._translate(_expression(node.right))
            return _combine_and(left, right)
        if isinstance(node, exp.Between) and not node.args.get("symmetric"):
            low = exp.GTE(this=node.this.copy(), expression=node.args["low"].copy())
            high = exp.LTE(this=node.this.copy(), expression=node.args["high"].copy())
            return _combine_and(self._translate(low), self._translate(high))
        negate = False
        if isinstance(node, exp.Not):
            negate = True
            node = node.this
            while isinstance(node, exp.Paren):
                node = node.this
            if isinstance(node, exp.And | exp.Or | exp.Between | exp.Not) or (
                type(node) in _COMPARISONS and type(node) not in (exp.EQ, exp.NEQ)
            ):
                return self._negation(node)
        if isinstance(node, exp.Is):
            if not isinstance(node.expression, exp.Null):
                raise NotPushable
            column = self._column(node.this)
            return self._operator(column, "IS NOT NULL" if negate else "IS NULL", [_NULL])
        if isinstance(node, exp.In):
            if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
                raise NotPushable
            column = self._column(node.this)
            if len(node.expressions) > MAX_IN_VALUES:
                raise NotPushable
            values = [self._value(item) for item in node.expressions]
            return self._operator(column, "NOT IN" if negate else "IN", values)
        if isinstance(node, exp.Like | exp.ILike):
            if negate or node.args.get("negate") or node.args.get("escape"):
                raise NotPushable
            column = self._column(node.this)
            pattern = self._value(node.expression)
            if not isinstance(pattern, str):
                raise NotPushable
            return self._like(column, pattern)
        if isinstance(node, exp.Escape):
            raise NotPushable
        operator = _COMPARISONS.get(type(node))
        if operator is None:
            raise NotPushable
        left, right = node.this, node.expression
        if isinstance(left, exp.Column):
            column, value = self._column(left), self._value(right)
        elif isinstance(right, exp.Column):
            column, value, operator = self._column(right), self._value(left), _FLIPPED[operator]
        else:
            raise NotPushable
        if negate:
            operator = {"=": "!=", "!=": "="}[operator]
        if value is _NULL:
            raise NotPushable  # `x = NULL` is never true; leave it to DuckDB
        return self._operator(column, operator, [value])

    def _negation(self, inner: exp.Expression) -> Translation:
        """``NOT (<inner>)`` as BBQL's complement of an *exact* inner translation: a superset.

        BBQL's NOT (rendered with documented operators by :func:`bbql.negated`) is two-valued: it
        also keeps rows where ``inner`` is NULL in SQL (null fields), which SQL's NOT drops. The
        complement of a superset would be a subset, so only exact translations are negated.
        """
        translation = self._translate(inner)
        if translation.superset or translation.bbql is None or (
            translation.key_values or translation.get_values or translation.params
        ):
            raise NotPushable
        return Translation(bbql=bbql.Not(translation.bbql), superset=True)

    def _or(self, node: exp.Or) -> Translation:
        branches = [self._translate(branch) for branch in _flatten(node, exp.Or)]
        keys = [b for b in branches if b.key_values]
        if len(keys) == len(branches):
            names = {name for b in branches for name in b.key_values}
            if len(names) == 1 and all(len(b.key_values) == 1 and not b.bbql for b in branches):
                name = names.pop()
                return Translation(key_values={name: frozenset().union(*(b.key_values[name] for b in branches))})
            raise NotPushable
        if any(b.key_values or b.get_values or b.params or not b.bbql for b in branches):
            raise NotPushable
        return Translation(
            bbql=bbql.disjunction(*(b.bbql for b in branches)),
            superset=any(b.superset for b in branches),
        )

    def _like(self, column: Column, pattern: str) -> Translation:
        if column.name in self.key_columns or not self.table.bbql:
            raise NotPushable
        exactness = column.pushdown("LIKE")
        fragment = like_fragment(pattern)
        field_name = column.bbql_field
        if exactness is None or fragment is None or field_name is None:
            raise NotPushable
        # ``~`` on a fragment is never exact, whatever a column declares
        return Translation(bbql=_term(field_name, "~", fragment), superset=True)

    def _operator(self, column: Column, operator: str, raw_values: list[Any]) -> Translation:
        values = [coerce_for_column(value, column) for value in raw_values]
        if column.name in self.key_columns:
            if operator not in ("=", "IN"):
                raise NotPushable
            kept = frozenset(v for v in values if _can_equal(v, column))
            return Translation(key_values={column.name: kept})
        translation = Translation()
        if self.can_get and column.name == self.table.get_key[0] and operator in ("=", "IN"):
            translation.get_values = {column.name: frozenset(v for v in values if _can_equal(v, column))}
        exactness = column.pushdown(operator)
        if column.param and operator == "=" and exactness is not None:
            translation.params = {column.param: param_text(values[0])}
            translation.superset = exactness == "superset"
            return translation
        if not self.table.bbql or column.bbql_field is None or column.param or exactness is None:
            if translation.get_values:
                return translation
            raise NotPushable
        field_name = column.bbql_field
        translation.superset = exactness == "superset"
        if column.type == "TIMESTAMPTZ" and operator in _MICROSECOND_BUCKETS:
            # rows hold the API's timestamps truncated to microseconds (it may send nanoseconds)
            stamps = [v for v in values if v is not _NULL]
            if not stamps:
                raise NotPushable
            translation.bbql = bbql.disjunction(*(_microsecond_term(field_name, operator, v) for v in stamps))
            return translation
        if operator in ("IN", "NOT IN"):
            non_null = [v for v in values if v is not _NULL]
            if operator == "NOT IN" and len(non_null) != len(values):
                raise NotPushable  # x NOT IN (.., NULL) is never true: DuckDB returns no rows
            if not non_null:
                raise NotPushable
            translation.bbql = _member(field_name, non_null, negated=operator == "NOT IN")
            return translation
        if operator == "IS NULL":
            translation.bbql = _term(field_name, "=", None)
            return translation
        if operator == "IS NOT NULL":
            translation.bbql = _term(field_name, "!=", None)
            return translation
        translation.bbql = _term(field_name, operator, values[0])
        return translation


def _can_equal(value: Any, column: Column) -> bool:
    """Whether a row's value can equal ``value``: not NULL, and whole for a BIGINT (``id = 2.5``
    matches no row, so it is no URL to request)."""
    if value is _NULL:
        return False
    return column.type != "BIGINT" or isinstance(value, int)


#: Timestamp operators whose BBQL form must account for the microseconds rows are truncated to.
_MICROSECOND_BUCKETS = frozenset({"=", "IN", "<=", ">"})
_MICROSECOND = datetime.timedelta(microseconds=1)


def _microsecond_term(field_name: str, operator: str, value: datetime.datetime) -> bbql.Node:
    """SQL's comparison with a timestamp the API may send with sub-microsecond digits.

    A row holds ``t`` truncated to microseconds, so (for a literal ``x``, itself whole
    microseconds) SQL's ``col <= x`` is the API's ``t < x + 1µs``, ``col > x`` is
    ``t >= x + 1µs`` and ``col = x`` is ``x <= t < x + 1µs``: exact whatever precision the API
    uses (``<`` and ``>=`` need no change).
    """
    try:
        following = value + _MICROSECOND
    except OverflowError:
        raise NotPushable from None
    if operator == "<=":
        return _term(field_name, "<", following)
    if operator == ">":
        return _term(field_name, ">=", following)
    both = bbql.conjunction(_term(field_name, ">=", value), _term(field_name, "<", following))
    assert both is not None
    return both


def _term(field_name: str, operator: str, value: Any) -> bbql.Node:
    try:
        return bbql.compare(field_name, operator, value)
    except bbql.BBQLValueError:
        raise NotPushable from None


def _member(field_name: str, values: list[Any], *, negated: bool) -> bbql.Node:
    try:
        return bbql.member(field_name, values, negated=negated)
    except bbql.BBQLValueError:
        raise NotPushable from None


def _flatten(node: exp.Expr, kind: type[exp.Connector]) -> list[exp.Expression]:
    if isinstance(node, exp.Paren):
        return _flatten(node.this, kind)
    if isinstance(node, kind):
        return _flatten(node.left, kind) + _flatten(node.right, kind)
    return [_expression(node)]


def _expression(node: exp.Expr) -> exp.Expression:
    """An operand as the ``Expression`` it is: sqlglot types operands as its ``Expr`` base class,
    but every node its parser builds is an ``Expression``; anything else is a bug, not a query."""
    if not isinstance(node, exp.Expression):
        raise TypeError(f"unexpected sqlglot operand {type(node).__name__}")
    return node


def _combine_and(left: Translation, right: Translation) -> Translation:
    combined = Translation(superset=left.superset or right.superset)
    for source in (left, right):
        for name, values in source.key_values.items():
            combined.key_values[name] = combined.key_values.get(name, values) & values
        for name, values in source.get_values.items():
            combined.get_values[name] = combined.get_values.get(name, values) & values
        for name, value in source.params.items():
            if name in combined.params and combined.params[name] != value:
                raise NotPushable
            combined.params[name] = value
    combined.bbql = bbql.conjunction(left.bbql, right.bbql)
    return combined


def split_conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    """The AND-ed parts of a condition (parentheses around a conjunction are looked through)."""
    if node is None:
        return []
    return _flatten(node, exp.And)

"""The emulator's own BBQL: parse ``q``, check it against a resource's fields, evaluate, sort.

Grammar (keywords case-insensitive; AND binds tighter than OR)::

    query      := and_expr ("OR" and_expr)*
    and_expr   := primary ("AND" primary)*
    primary    := "(" query ")" | comparison
    comparison := PATH OP value | PATH ["NOT"] "IN" "(" value ("," value)* ")"
    OP         := = | != | ~ | !~ | > | >= | < | <=
    value      := "string" | number | true | false | null | ISO-8601 datetime (unquoted)

A resource describes its fields with a *schema*: a nested dict whose leaves are type names
(``string``, ``number``, ``boolean``, ``datetime``, ``permission``) and whose inner dicts are
embedded objects. Arrays need no marker: a path through an array matches when any element does.
Every error is a :class:`BBQLError`; routes turn it into the 400 "Invalid query" envelope.

Sorting (``sort=field`` / ``sort=-field``): ascending puts nulls last and descending puts them
first (nulls compare as larger than every value, as in PostgreSQL); ties keep the collection's
default order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .store import PERMISSION_RANK  # BBQL orders permission values by the same ranks

Schema = dict[str, Any]
JSON = dict[str, Any]

COMPARATORS = ("=", "!=", "~", "!~", ">", ">=", "<", "<=")


class BBQLError(ValueError):
    """An invalid query or sort; ``detail`` explains what is wrong and where."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


# ============================================================================= lexer

_DATETIME = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<unterminated>"(?:[^"\\]|\\.)*$)
      | (?P<datetime>"""
    + _DATETIME
    + r""")(?![\w:.-])
      | (?P<number>-?\d+(?:\.\d+)?)(?![\w.-])
      | (?P<op>!=|!~|>=|<=|=|~|>|<)
      | (?P<paren>[(),])
      | (?P<word>[A-Za-z_][\w.\-]*)
      | (?P<bad>\S)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            break
        kind = match.lastgroup or "bad"
        value = match.group(kind)
        start = match.start(kind)
        if kind == "unterminated":
            raise BBQLError(f"unterminated string starting at position {start}")
        if kind == "bad":
            raise BBQLError(f"unexpected character {value!r} at position {start}")
        tokens.append(Token(kind, value, start))
        position = match.end()
    return tokens


# ============================================================================= AST and parser


@dataclass(frozen=True)
class Literal:
    kind: str  # string | number | boolean | null | datetime
    value: Any
    text: str


@dataclass(frozen=True)
class Comparison:
    path: str
    op: str  # one of COMPARATORS, or "IN" / "NOT IN"
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND | OR
    operands: tuple[Node, ...]


Node = Comparison | BoolOp


def _unescape(quoted: str) -> str:
    return re.sub(r"\\(.)", r"\1", quoted[1:-1])


def parse_datetime(text: str) -> datetime:
    """An ISO-8601 date or datetime; no offset means UTC."""
    normalized = text.replace("Z", "+00:00").replace(" ", "T")
    if re.search(r"[+-]\d{4}$", normalized):
        normalized = normalized[:-2] + ":" + normalized[-2:]
    try:
        moment = datetime.fromisoformat(normalized)
    except ValueError:
        raise BBQLError(f"{text!r} is not a valid ISO-8601 date or datetime") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


#: Deepest parenthesis nesting accepted: deeper queries are a 400 (a recursive parser and evaluator
#: would otherwise fail with a RecursionError, a 500), as Bitbucket rejects over-complex queries.
MAX_NESTING = 32


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise BBQLError("unexpected end of query")
        self.index += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text.upper() == word:
            self.index += 1
            return True
        return False

    def parse(self) -> Node:
        if not self.tokens:
            raise BBQLError("empty query")
        node = self.query()
        leftover = self.peek()
        if leftover is not None:
            raise BBQLError(f"unexpected {leftover.text!r} at position {leftover.position}")
        return node

    def query(self) -> Node:
        operands = [self.and_expr()]
        while self.keyword("OR"):
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else BoolOp("OR", tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.primary()]
        while self.keyword("AND"):
            operands.append(self.primary())
        return operands[0] if len(operands) == 1 else BoolOp("AND", tuple(operands))

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "paren" and token.text == "(":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise BBQLError(
                    f"parentheses nest more than {MAX_NESTING} deep at position {token.position}; "
                    "write the query with fewer levels"
                )
            node = self.query()
            self.depth -= 1
            closing = self.take()
            if closing.text != ")":
                raise BBQLError(f"expected ')' at position {closing.position}, found {closing.text!r}")
            return node
        if token.kind != "word" or token.text.upper() in ("AND", "OR", "IN", "NOT"):
            raise BBQLError(f"expected a field name at position {token.position}, found {token.text!r}")
        path = token.text
        if self.keyword("NOT"):
            if not self.keyword("IN"):
                raise BBQLError(f"expected IN after NOT following {path!r}")
            return Comparison(path, "NOT IN", self.value_list())
        if self.keyword("IN"):
            return Comparison(path, "IN", self.value_list())
        op = self.take()
        if op.kind != "op":
            raise BBQLError(
                f"expected an operator after {path!r} at position {op.position}, found {op.text!r}"
            )
        return Comparison(path, op.text, (self.value(),))

    def value_list(self) -> tuple[Literal, ...]:
        opening = self.take()
        if opening.text != "(":
            raise BBQLError(f"expected '(' after IN at position {opening.position}")
        values = [self.value()]
        while True:
            token = self.take()
            if token.text == ")":
                return tuple(values)
            if token.text != ",":
                raise BBQLError(f"expected ',' or ')' at position {token.position}, found {token.text!r}")
            values.append(self.value())

    def value(self) -> Literal:
        token = self.take()
        if token.kind == "string":
            return Literal("string", _unescape(token.text), token.text)
        if token.kind == "number":
            number = float(token.text) if "." in token.text else int(token.text)
            return Literal("number", number, token.text)
        if token.kind == "datetime":
            return Literal("datetime", parse_datetime(token.text), token.text)
        if token.kind == "word":
            lowered = token.text.lower()
            if lowered in ("true", "false"):
                return Literal("boolean", lowered == "true", token.text)
            if lowered == "null":
                return Literal("null", None, token.text)
        raise BBQLError(f"expected a value at position {token.position}, found {token.text!r}")


def parse(text: str) -> Node:
    """Parse ``text`` into an AST, raising :class:`BBQLError` when it is not valid BBQL."""
    return _Parser(text).parse()


def fields_in(node: Node) -> set[str]:
    """Every field path a query compares (routes use it for endpoint-specific rules)."""
    if isinstance(node, Comparison):
        return {node.path}
    return set().union(*(fields_in(operand) for operand in node.operands))


# ============================================================================= field checking


def field_type(schema: Schema, path: str) -> str:
    """The type of ``path`` in ``schema``, or BBQLError naming the unknown field."""
    node: Any = schema
    for segment in path.split("."):
        if not isinstance(node, dict) or segment not in node:
            raise BBQLError(f"'{path}' is not a field that can be used here")
        node = node[segment]
    if isinstance(node, dict):
        raise BBQLError(
            f"'{path}' is an object; compare one of its fields instead (e.g. {path}.{next(iter(node))})"
        )
    return str(node)


def _coerce(literal: Literal, kind: str, path: str, op: str) -> Any:
    """The literal converted to the field's type, or a type-mismatch BBQLError."""
    if literal.kind == "null":
        if op not in ("=", "!=", "IN", "NOT IN"):
            raise BBQLError(f"null can only be compared with = or != (field '{path}')")
        return None
    mismatch = BBQLError(f"field '{path}' is a {kind}; {literal.text} is not a valid {kind} value")
    if kind in ("string", "permission"):
        if literal.kind != "string":
            raise mismatch
        return literal.value
    if kind == "number":
        if literal.kind != "number":
            raise mismatch
        return literal.value
    if kind == "boolean":
        if literal.kind != "boolean":
            raise mismatch
        return literal.value
    if kind == "datetime":
        if literal.kind == "datetime":
            return literal.value
        if literal.kind == "string":
            try:
                return parse_datetime(literal.value)
            except BBQLError:
                raise mismatch from None
        raise mismatch
    raise BBQLError(f"field '{path}' cannot be filtered")


# ============================================================================= evaluation


def values_at(obj: Any, path: str) -> list[Any]:
    """Every value at ``path`` (arrays fan out); missing or null values are left out."""
    current = [obj]
    for segment in path.split("."):
        following: list[Any] = []
        for item in current:
            if isinstance(item, list):
                following.extend(element.get(segment) for element in item if isinstance(element, dict))
            elif isinstance(item, dict):
                following.append(item.get(segment))
        current = []
        for item in following:
            if isinstance(item, list):
                current.extend(item)
            elif item is not None:
                current.append(item)
    return current


def _native(value: Any, kind: str) -> Any:
    if kind == "datetime" and isinstance(value, str):
        try:
            return parse_datetime(value)
        except BBQLError:
            return None
    if kind == "permission" and isinstance(value, str):
        return PERMISSION_RANK.get(value, -1)
    return value


def _test(op: str, actual: Any, expected: Any) -> bool:
    if op == "=":
        return actual == expected
    if op == "~":
        return isinstance(actual, str) and expected.lower() in actual.lower()
    try:
        if op == ">":
            return actual > expected
        if op == ">=":
            return actual >= expected
        if op == "<":
            return actual < expected
        if op == "<=":
            return actual <= expected
    except TypeError:
        return False
    raise AssertionError(op)


Predicate = Callable[[JSON], bool]


def _compile(node: Node, schema: Schema) -> Predicate:
    if isinstance(node, BoolOp):
        parts = [_compile(operand, schema) for operand in node.operands]
        if node.op == "AND":
            return lambda obj: all(part(obj) for part in parts)
        return lambda obj: any(part(obj) for part in parts)
    kind = field_type(schema, node.path)
    path = node.path
    if node.op in ("~", "!~") and kind != "string":
        raise BBQLError(f"'{node.op}' needs a text field; '{path}' is a {kind}")
    expected = [_coerce(literal, kind, path, node.op) for literal in node.values]
    if kind == "permission":
        expected = [None if value is None else PERMISSION_RANK.get(value, -1) for value in expected]
    negate = node.op in ("!=", "!~", "NOT IN")
    positive_op = {"!=": "=", "!~": "~", "IN": "=", "NOT IN": "="}.get(node.op, node.op)

    def matches(obj: JSON) -> bool:
        found = [_native(value, kind) for value in values_at(obj, path)]
        hit = False
        for wanted in expected:
            if wanted is None:
                hit = not found
            else:
                hit = any(_test(positive_op, value, wanted) for value in found if value is not None)
            if hit:
                break
        return not hit if negate else hit

    return matches


def compile_query(text: str, schema: Schema) -> Predicate:
    """A predicate for ``q`` after checking every field and literal against ``schema``."""
    return _compile(parse(text), schema)


def filter_items(items: Iterable[JSON], text: str | None, schema: Schema) -> list[JSON]:
    if not text:
        return list(items)
    predicate = compile_query(text, schema)
    return [item for item in items if predicate(item)]


# ============================================================================= sorting

_NATURAL = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[Any, ...]:
    """``v9`` before ``v10``: digit runs compare as numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _NATURAL.split(text))


def sort_items(
    items: Sequence[JSON], sort: str | None, schema: Schema, *, natural: frozenset[str] = frozenset()
) -> list[JSON]:
    """``items`` ordered by ``sort`` (``field`` or ``-field``); nulls last ascending, first descending."""
    if not sort:
        return list(items)
    descending = sort.startswith("-")
    path = sort[1:] if descending else sort
    if "," in path or not path:
        raise BBQLError(f"sort takes exactly one field, got {sort!r}")
    kind = field_type(schema, path)

    def key(item: JSON) -> tuple[int, Any]:
        found = values_at(item, path)
        if not found:
            return (1, 0)
        value = found[0]
        if path in natural and isinstance(value, str):
            return (0, natural_key(value))
        native = _native(value, kind)
        return (1, 0) if native is None else (0, native)

    present = [item for item in items if key(item)[0] == 0]
    missing = [item for item in items if key(item)[0] == 1]
    present.sort(key=lambda item: key(item)[1], reverse=descending)
    return missing + present if descending else present + missing

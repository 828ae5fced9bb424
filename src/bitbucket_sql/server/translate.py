"""PostgreSQL's SQL dialect in, DuckDB's out: for the engine, or for the local catalog database.

Clients write PostgreSQL (``::`` casts, ``ILIKE``, ``now()``, ``interval '7 days'``, ``$1``
parameters, ``E''`` strings, ``FETCH FIRST``); sqlglot reads it as PostgreSQL and writes it as
DuckDB, the engine's dialect, so a query reaches the engine exactly as a DB-API user would
have written it, and the same pushdown applies. Catalog queries (``pg_catalog``,
``information_schema``) get more: their relations are renamed to the catalog database's
schemas, PostgreSQL's functions to the ``bbpg_*`` functions of :mod:`.pg_catalog`, and the
PostgreSQL-only constructs tools use (``::regclass``, ``OPERATOR(pg_catalog.~)``,
``COLLATE pg_catalog.default``, 0-based ``int2vector`` subscripts, ``'{0}'`` array literals,
``_pg_expandarray``) become their DuckDB equivalents.
"""

from __future__ import annotations

import datetime
import decimal
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from . import pgtypes
from .pg_catalog import FUNCTION_SIGNATURES, INFO_SCHEMA, INFO_TABLES, PG_SCHEMA, PG_TABLES
from .pgtypes import PgType

Target = Literal["catalog", "engine"]

#: sqlglot's typed nodes for PostgreSQL's niladic functions -> our function names
_NILADIC: dict[type[exp.Expression], str] = {
    exp.CurrentSchema: "current_schema",
    exp.CurrentUser: "current_user",
    exp.SessionUser: "session_user",
    exp.CurrentDatabase: "current_database",
    exp.CurrentVersion: "version",
    exp.CurrentCatalog: "current_catalog",
}
_REG_TYPES = {"regclass", "regtype", "regnamespace", "regproc", "regprocedure", "regoper", "regrole", "regconfig"}
#: reg* types -> the family of conversion functions (``<family>_in``/``_out``) of pg_catalog.py
_REG_FUNCTIONS = {"regtype": "regtype", "regnamespace": "regnamespace", "regproc": "regproc",
                  "regprocedure": "regproc"}
#: PostgreSQL's internal scalar types -> what DuckDB stores them as here
_INTERNAL_TYPES = {"oid": "BIGINT", "xid": "BIGINT", "cid": "BIGINT", "tid": "VARCHAR", "name": "VARCHAR",
                   "char": "VARCHAR", "text": "VARCHAR", "int2vector": "SMALLINT[]", "oidvector": "BIGINT[]",
                   "aclitem": "VARCHAR", "pg_node_tree": "VARCHAR", "anyarray": "VARCHAR[]",
                   "int2": "SMALLINT", "int4": "INTEGER", "int8": "BIGINT", "float4": "FLOAT", "float8": "DOUBLE",
                   "bpchar": "VARCHAR", "jsonb": "JSON", "bool": "BOOLEAN"}
#: 0-based int2vector/oidvector columns of pg_index
_ZERO_BASED_VECTORS = {"indkey", "indclass", "indcollation", "indoption"}


class TranslationError(Exception):
    """The SQL cannot be read as PostgreSQL (``line``/``column`` 1-based, 0 when unknown)."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass
class Translated:
    """DuckDB SQL for one target, and the ``bbpg_*`` functions it calls (name, arity)."""

    sql: str
    target: Target
    functions: list[tuple[str, int]] = field(default_factory=list)
    #: catalog relations read, as (our DuckDB schema, name)
    relations: list[tuple[str, str]] = field(default_factory=list)


def parse(sql: str) -> exp.Expression:
    """One PostgreSQL statement as a sqlglot tree (raises TranslationError for bad syntax)."""
    try:
        trees = [tree for tree in sqlglot.parse(sql, read="postgres") if tree is not None]
    except ParseError as error:
        details = error.errors[0] if error.errors else {}
        line, column = int(details.get("line") or 0), int(details.get("col") or 0)
        near = (details.get("highlight") or "").strip()
        description = str(details.get("description") or "invalid syntax").split("\n")[0]
        where = f" near {near!r}" if near else ""
        raise TranslationError(f"syntax error at line {line}, column {column}{where}: {description}",
                               line, column) from None
    except TokenError as error:
        raise TranslationError(f"syntax error: {error}. Check quotes and brackets.") from None
    if len(trees) != 1:
        raise TranslationError(f"expected one statement, got {len(trees)}")
    # PostgreSQL folds unquoted names to lower case (``AS TABLE_NAME`` is column ``table_name``)
    return typing.cast(exp.Expression, normalize_identifiers(trees[0], dialect="postgres"))


def table_references(tree: exp.Expression) -> list[exp.Table]:
    """The relations a statement reads (CTE names and table functions excluded)."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    found = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue
        if not table.db and table.name.lower() in ctes:
            continue
        found.append(table)
    return found


def catalog_relation(table: exp.Table) -> tuple[str, str] | None:
    """(our DuckDB schema, name) when ``table`` is a pg_catalog or information_schema relation."""
    name, db = table.name.lower(), table.db.lower()
    if db == "pg_catalog" or (not db and name in PG_TABLES):
        return (PG_SCHEMA, name) if name in PG_TABLES else (PG_SCHEMA, "")
    if db == "information_schema":
        return INFO_SCHEMA, name if name in INFO_TABLES else ""
    return None


def target_of(tree: exp.Expression) -> Target:
    """``catalog`` when every relation is a catalog relation (or there is none), else ``engine``."""
    references = table_references(tree)
    if all(catalog_relation(table) is not None for table in references):
        return "catalog"
    return "engine"


def unknown_catalog_relation(tree: exp.Expression) -> str | None:
    """The first pg_catalog/information_schema relation this server does not provide."""
    for table in table_references(tree):
        relation = catalog_relation(table)
        if relation is not None and not relation[1]:
            return f"{table.db or 'pg_catalog'}.{table.name}"
    return None


# --- parameters ------------------------------------------------------------------------------


def parameter_numbers(tree: exp.Expression) -> list[int]:
    """The ``$n`` numbers used, sorted and unique."""
    return sorted({int(node.this.this) for node in tree.find_all(exp.Parameter) if _is_dollar(node)})


def _is_dollar(node: exp.Parameter) -> bool:
    return isinstance(node.this, exp.Literal) and not node.this.is_string and str(node.this.this).isdigit()


def infer_parameter_types(tree: exp.Expression, column_types: dict[str, str], count: int) -> list[PgType]:
    """PostgreSQL types for ``$1..$count`` the client left unspecified, from where each is used.

    A cast names its type; a comparison with a column takes the column's type; LIMIT/OFFSET
    take bigint; anything else is text (PostgreSQL would say ``unknown``; text is what drivers
    then send).
    """
    found: dict[int, PgType] = {}
    for node in tree.find_all(exp.Parameter):
        if not _is_dollar(node):
            continue
        number = int(node.this.this)
        if number in found:
            continue
        parent = node.parent
        guess: PgType | None = None
        if isinstance(parent, exp.Cast):
            guess = pgtypes.pg_type_named(parent.to.sql(dialect="postgres"))
        elif isinstance(parent, exp.Limit | exp.Offset | exp.Fetch):
            guess = pgtypes.INT8
        elif isinstance(parent, exp.Paren) and isinstance(parent.parent, exp.Any) \
                and isinstance(parent.parent.parent, exp.Binary):
            element = _column_type_beside(parent.parent.parent, column_types)  # column = ANY($1)
            guess = pgtypes.BY_OID.get(element.array_oid) if element is not None else None
        elif isinstance(parent, exp.Binary | exp.In | exp.Between):
            guess = _column_type_beside(parent, column_types)
        found[number] = guess or pgtypes.TEXT
    return [found.get(number, pgtypes.TEXT) for number in range(1, count + 1)]


def _column_type_beside(comparison: exp.Expr, column_types: dict[str, str]) -> PgType | None:
    """The type of the column a parameter is compared with (``id = $1``: id's type)."""
    for side in comparison.iter_expressions():
        if isinstance(side, exp.Column) and side.name.lower() in column_types:
            return pgtypes.pg_type_for(column_types[side.name.lower()])
    return None


def bind_parameters(tree: exp.Expression, values: Sequence[Any] | None, types: Sequence[PgType] = (),
                    *, copy: bool = True) -> exp.Expression:
    """``tree`` (a copy unless ``copy`` is False) with each ``$n`` replaced by the literal of ``values[n-1]``.

    ``values`` None binds typed NULLs (to describe a statement before its parameters exist).
    """
    if copy:
        tree = tree.copy()
    for node in list(tree.find_all(exp.Parameter)):
        if not _is_dollar(node):
            continue
        number = int(node.this.this)
        if values is None:
            kind = types[number - 1] if number - 1 < len(types) else pgtypes.TEXT
            if kind.element_oid:  # one typed NULL item: ``= ANY($1)`` still binds as IN
                element = _duckdb_type_for(pgtypes.BY_OID.get(kind.element_oid, pgtypes.TEXT))
                node.replace(exp.Array(expressions=[exp.cast(exp.Null(), element)]))
            else:
                node.replace(exp.cast(exp.Null(), _duckdb_type_for(kind)))
            continue
        if number < 1 or number > len(values):
            raise TranslationError(f"there is no parameter ${number}: {len(values)} parameter(s) were bound")
        node.replace(literal(values[number - 1]))
    return tree


def _duckdb_type_for(pg_type: PgType) -> str:
    if pg_type.element_oid:
        return _duckdb_type_for(pgtypes.BY_OID[pg_type.element_oid]) + "[]"
    return {
        16: "BOOLEAN", 17: "BLOB", 20: "BIGINT", 21: "SMALLINT", 23: "INTEGER", 26: "BIGINT", 700: "FLOAT",
        701: "DOUBLE", 1700: "DECIMAL(38,10)", 1082: "DATE", 1083: "TIME", 1114: "TIMESTAMP",
        1184: "TIMESTAMPTZ", 1186: "INTERVAL", 2950: "UUID", 114: "JSON", 3802: "JSON",
    }.get(pg_type.oid, "VARCHAR")


def literal(value: Any) -> exp.Expression:
    """The SQL literal of one Python value (as the engine's own parameter binding would write it)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return exp.cast(exp.Literal.string(repr(value)), "DOUBLE")
        return exp.Literal.number(repr(value))
    if isinstance(value, decimal.Decimal):
        return exp.Literal.number(str(value))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
        return exp.cast(exp.Literal.string(value.astimezone(datetime.UTC).isoformat(sep=" ")), "TIMESTAMPTZ")
    if isinstance(value, datetime.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, datetime.time):
        return exp.cast(exp.Literal.string(value.isoformat()), "TIME")
    if isinstance(value, datetime.timedelta):
        return exp.cast(exp.Literal.string(f"{value.total_seconds()} seconds"), "INTERVAL")
    if isinstance(value, bytes | bytearray | memoryview):
        return exp.Unhex(this=exp.Literal.string(bytes(value).hex()))
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[literal(item) for item in value])
    return exp.Literal.string(str(value))


# --- translation -----------------------------------------------------------------------------


def translate(tree: exp.Expression, target: Target, *, copy: bool = True) -> Translated:
    """DuckDB SQL for ``tree`` (parameters already bound) on ``target`` (changes ``tree`` unless ``copy``)."""
    if copy:
        tree = tree.copy()
    functions: set[tuple[str, int]] = set()
    relations: list[tuple[str, str]] = []
    if target == "catalog":
        for table in table_references(tree):
            relation = catalog_relation(table)
            if relation is not None and relation[1] and relation not in relations:
                relations.append(relation)
        tree = tree.transform(lambda node: _reg_output(node, functions))
        tree = _bottom_up(tree, lambda node: _catalog(_common(node), functions))
    else:
        tree = _bottom_up(tree, _common)
    return Translated(tree.sql(dialect="duckdb"), target, sorted(functions), relations)


def _bottom_up(node: exp.Expression, fun: Any) -> exp.Expression:
    """Apply ``fun`` to every node, children first (sqlglot's transform skips replaced subtrees)."""
    for child in list(node.iter_expressions()):
        new = _bottom_up(child, fun)
        if new is not child:
            child.replace(new)
    return fun(node)


def _reg_output(node: exp.Expression, functions: set[tuple[str, int]]) -> exp.Expression:
    """``x::regclass::text`` prints a name: one call, before the inner cast is rewritten."""
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Cast):
        inner_type = _type_name(node.this.to)
        if inner_type in _REG_TYPES and _type_name(node.to) in ("text", "varchar", "name", "character varying"):
            kind = _REG_FUNCTIONS.get(inner_type, "regclass")
            return _call(f"{kind}_out", [node.this.this], functions)
    return node


def _type_name(data_type: exp.Expression) -> str:
    """A cast's target type as PostgreSQL wrote it, lower case, without ``pg_catalog.``.

    Read from the node (no SQL generation: casts are everywhere in catalog queries).
    """
    if isinstance(data_type, exp.DataType):
        if data_type.this == exp.DataType.Type.USERDEFINED:
            kind = data_type.args.get("kind")
            text = kind.name if isinstance(kind, exp.Dot) else (kind.name if kind is not None else "")
        elif data_type.this == exp.DataType.Type.ARRAY and data_type.expressions:
            return _type_name(data_type.expressions[0]) + "[]"
        else:
            kind_value = data_type.this
            text = str(getattr(kind_value, "value", kind_value))
    else:
        text = data_type.name
    return text.lower()


def _literal_list(node: exp.Expression) -> list[exp.Expression] | None:
    """The items of ``ARRAY[...]``/``[...]`` (possibly cast or parenthesized) when all are literals."""
    while isinstance(node, exp.Paren | exp.Cast):
        node = node.this
    if isinstance(node, exp.Array) and all(_is_constant(item) for item in node.expressions):
        return list(node.expressions)
    return None


def _is_constant(node: exp.Expression) -> bool:
    while isinstance(node, exp.Cast):
        node = node.this
    return isinstance(node, exp.Literal | exp.Null | exp.Boolean)


def _any_as_in(node: exp.EQ) -> exp.Expression:
    """``x = ANY(ARRAY[1, 2])`` (a driver binding a list) is ``x IN (1, 2)``: the form pushdown knows."""
    if isinstance(node.expression, exp.Any):
        items = _literal_list(node.expression.this)
        if items:
            return exp.In(this=node.this, expressions=items)
    return node


def _common(node: exp.Expression) -> exp.Expression:
    """Rewrites both targets need: qualifiers, collations, internal types, JSON builders, ``= ANY``."""
    if isinstance(node, exp.EQ):
        return _any_as_in(node)
    if isinstance(node, exp.Collate):
        return node.this
    if isinstance(node, exp.Dot) and isinstance(node.this, exp.Identifier) and isinstance(node.expression, exp.Func) \
            and node.this.name.lower() in ("pg_catalog", "information_schema"):
        return typing.cast(exp.Expression, node.expression)
    if isinstance(node, exp.Table) and not isinstance(node.this, exp.Identifier) and node.db.lower() == "pg_catalog":
        node.set("db", None)
        alias = node.args.get("alias")
        if isinstance(alias, exp.TableAlias) and not alias.columns:
            alias.set("columns", [exp.to_identifier(alias.name)])
        return node
    if isinstance(node, exp.Operator):
        operator = str(node.args.get("operator") or "").replace("pg_catalog.", "").strip()
        regex = {"~": False, "~*": True, "!~": False, "!~*": True}
        if operator in regex:
            pattern = node.expression
            flags = exp.Literal.string("i") if regex[operator] else None
            match = exp.RegexpLike(this=node.this, expression=pattern, flag=flags)
            return exp.Not(this=match) if operator.startswith("!") else match
        plain: dict[str, type[exp.Binary]] = {"=": exp.EQ, "<>": exp.NEQ, "<": exp.LT, ">": exp.GT, "<=": exp.LTE, ">=": exp.GTE}
        if operator in plain:
            return typing.cast(exp.Expression, plain[operator](this=node.this, expression=node.expression))
    if isinstance(node, exp.Anonymous) and node.name.lower() == "json_build_object":
        return exp.Anonymous(this="json_object", expressions=node.expressions)
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string \
            and node.this.this.startswith("{") and node.this.this.endswith("}") and node.to.is_type(exp.DataType.Type.ARRAY):
        return exp.Cast(this=_array_literal(node.this.this), to=node.to)  # '{a,b}'::text[]
    if isinstance(node, exp.Cast):
        name = _type_name(node.to)
        if name in _INTERNAL_TYPES:
            return exp.cast(node.this, _INTERNAL_TYPES[name])
        if name.endswith("[]") and name[:-2] in _INTERNAL_TYPES:
            return exp.cast(node.this, _INTERNAL_TYPES[name[:-2]] + "[]")
    return node


def _call(name: str, args: Sequence[exp.Expression], functions: set[tuple[str, int]]) -> exp.Expression:
    functions.add((name, len(args)))
    call: exp.Expression = exp.Anonymous(
        this=f"bbpg_{name}_{len(args)}", expressions=[exp.cast(arg, "VARCHAR", copy=False) for arg in args]
    )
    return call


def _catalog(node: exp.Expression, functions: set[tuple[str, int]]) -> exp.Expression:
    """Rewrites for the catalog database (see the module docstring)."""
    if isinstance(node, exp.Table) and isinstance(node.this, exp.Func):
        return _function_in_from(node)
    if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
        relation = catalog_relation(node)
        if relation is not None and relation[1]:
            node.set("db", exp.to_identifier(relation[0]))
            node.set("catalog", None)
            if not node.alias:
                node.set("alias", exp.TableAlias(this=exp.to_identifier(node.name)))
        return node
    if isinstance(node, exp.Column) and node.args.get("db") is not None \
            and node.args["db"].name.lower() in ("pg_catalog", "information_schema"):
        node.set("db", None)  # pg_catalog.pg_class.relname: the relation's alias is its name (set above)
        return node
    if isinstance(node, exp.CurrentSchemas):
        return _call("current_schemas", [node.this] if node.this is not None else [], functions)
    for kind, niladic in _NILADIC.items():
        if isinstance(node, kind):
            return _call(niladic, [], functions)
    if isinstance(node, exp.Column) and not node.table and node.name.lower() in ("current_role", "user") \
            and not node.this.quoted:
        return _call(node.name.lower(), [], functions)
    if isinstance(node, exp.Dot) and isinstance(node.this, exp.Paren):
        inner = node.this.this
        field_name = node.expression.name.lower() if isinstance(node.expression, exp.Identifier) else ""
        if isinstance(inner, exp.Anonymous) and inner.name.lower() == "bbpg_expandarray" and field_name in ("n", "x"):
            return exp.Anonymous(this=f"bbpg_expandarray_{field_name}", expressions=inner.expressions)
        if isinstance(inner, exp.Column):
            return exp.Dot(this=inner, expression=node.expression)
    if isinstance(node, exp.Anonymous | exp.Func) and not isinstance(node, exp.Cast):
        name = node.name.lower() if isinstance(node, exp.Anonymous) else ""
        if name == "_pg_expandarray":
            return exp.Anonymous(this="bbpg_expandarray", expressions=node.expressions)
        if name in ("array_upper", "array_lower", "array_length") and len(node.expressions) == 2:
            return exp.Anonymous(this=f"bbpg_{name}", expressions=node.expressions)
        if name in FUNCTION_SIGNATURES:
            return _call(name, node.expressions, functions)
        if isinstance(node, exp.ArraySize) and node.args.get("expression") is not None:
            return exp.Anonymous(this="bbpg_array_length", expressions=[node.this, node.expression])
    if isinstance(node, exp.Cast):
        name = _type_name(node.to)
        if name in _REG_TYPES:
            inner = node.this
            if isinstance(inner, exp.Literal) and inner.is_string:
                reg = _REG_FUNCTIONS.get(name, "regclass")
                return _call(f"{reg}_in", [inner], functions)
            return exp.cast(_call_in_if_text(inner, name, functions), "BIGINT")
    if isinstance(node, exp.Bracket) and isinstance(node.this, exp.Column) \
            and node.this.name.lower() in _ZERO_BASED_VECTORS and len(node.expressions) == 1:
        index = node.expressions[0]
        return exp.Bracket(this=node.this, expressions=[exp.Add(this=exp.Paren(this=index),
                                                                 expression=exp.Literal.number(1))])
    if isinstance(node, exp.EQ | exp.NEQ):
        for side, other in ((node.this, node.expression), (node.expression, node.this)):
            if isinstance(side, exp.Literal) and side.is_string and side.this.startswith("{") \
                    and side.this.endswith("}") and not isinstance(other, exp.Literal):
                side.replace(_array_literal(side.this))
                break
    return node


#: functions DuckDB can call in FROM (the rest are scalar: PostgreSQL makes one row of them)
_TABLE_FUNCTIONS = {"unnest", "generate_series", "range", "generate_subscripts", "bbpg_get_keywords"}


def _function_in_from(node: exp.Table) -> exp.Expression:
    """``FROM f(x) AS s``: table functions stay; a scalar function becomes a one-row subquery."""
    function = node.this
    name = function.name.lower() if isinstance(function, exp.Anonymous) else ""
    if name == "pg_get_keywords":
        node.set("this", exp.Anonymous(this="bbpg_get_keywords", expressions=[]))
        return node
    if name in _TABLE_FUNCTIONS or isinstance(function, exp.Explode | exp.Unnest | exp.ExplodingGenerateSeries
                                                           | exp.GenerateSeries):
        return node
    alias = node.alias or (name or "f")
    select = exp.select(exp.alias_(function.copy(), alias, quoted=True))
    return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _call_in_if_text(inner: exp.Expression, reg_type: str, functions: set[tuple[str, int]]) -> exp.Expression:
    """``x::regclass``: an OID stays an OID; text (a name) is looked up (``regclass_in``)."""
    if isinstance(inner, exp.Literal) and not inner.is_string:
        return inner
    kind = _REG_FUNCTIONS.get(reg_type, "regclass")
    return _call(f"{kind}_in", [inner], functions)


def _array_literal(text: str) -> exp.Expression:
    """PostgreSQL's ``'{a,b}'`` array input as a DuckDB list literal."""
    body = text[1:-1].strip()
    items = [item.strip().strip('"') for item in body.split(",")] if body else []
    if items and all(item.lstrip("-").isdigit() for item in items):
        return exp.Array(expressions=[exp.Literal.number(int(item)) for item in items])
    return exp.Array(expressions=[exp.Literal.string(item) for item in items])

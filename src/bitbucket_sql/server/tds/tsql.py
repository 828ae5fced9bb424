"""T-SQL in, DuckDB's dialect out.

A batch is split into statements: the ``SET`` options drivers send at login (often without
semicolons, one per line) are recognised first, the rest is read by sqlglot's ``tsql`` dialect.
A statement then has its ``@name`` parameters bound as literals, SQL Server's system functions
and variables (``@@VERSION``, ``DB_NAME()``, ``SERVERPROPERTY``...) replaced by their values,
its table names resolved (``[db].[schema].[table]``, ``dbo`` = the database's workspace,
``sys.*``/``INFORMATION_SCHEMA.*`` = the local metadata tables) and is written as DuckDB SQL.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ..translate import literal
from .prelogin import SERVER_VERSION

#: the schema_id of a database's one schema (its workspace), as sys.schemas numbers it
SCHEMA_ID = 5


class TsqlError(Exception):
    """A statement this server cannot read or answer (number: SQL Server's error number)."""

    def __init__(self, number: int, message: str, severity: int = 16) -> None:
        super().__init__(message)
        self.number = number
        self.message = message
        self.severity = severity


@dataclass
class SetOption:
    """A ``SET`` option: answered and remembered, never failed."""

    text: str
    name: str
    value: str


_ISOLATION = re.compile(
    r"\s*SET\s+TRANSACTION\s+ISOLATION\s+LEVEL\s+(READ\s+UNCOMMITTED|READ\s+COMMITTED|REPEATABLE\s+READ|SNAPSHOT|"
    r"SERIALIZABLE)\s*;?", re.IGNORECASE)
_ON_OFF = re.compile(r"\s*SET\s+((?:\w+\s*,\s*)*\w+)\s+(ON|OFF)\b\s*;?", re.IGNORECASE)
_VALUED = re.compile(r"\s*SET\s+(\w+)\s+(-?\d+|N?'[^']*'|\w+)\s*;?", re.IGNORECASE)
_VARIABLE = re.compile(r"\s*SET\s+@", re.IGNORECASE)

VERSION_TEXT = (
    f"Microsoft SQL Server 2019 (RTM) - {SERVER_VERSION[0]}.{SERVER_VERSION[1]}.{SERVER_VERSION[2]}.0 (X64)\n"
    "\tbitbucket-sql TDS listener (Bitbucket Cloud as SQL; not Microsoft SQL Server)"
)
PRODUCT_VERSION = f"{SERVER_VERSION[0]}.{SERVER_VERSION[1]}.{SERVER_VERSION[2]}.0"


_BARE_PROCEDURE = re.compile(r"\s*((?:\[?\w+\]?\.)*\[?sp_\w+\]?)(\s|;|$)", re.IGNORECASE)


def split_batch(text: str) -> list[SetOption | exp.Expression]:
    """The statements of a batch, in order (TsqlError 102 for text sqlglot cannot read).

    A batch may start with a procedure call without EXEC (``sp_datatype_info_100 12,3``).
    """
    statements: list[SetOption | exp.Expression] = []
    if _BARE_PROCEDURE.match(text):
        text = "EXEC " + text.lstrip()
    rest = text
    while True:
        stripped = rest.lstrip().lstrip(";")
        if not stripped.strip():
            return statements
        option = _set_option(stripped)
        if option is None:
            break
        statements.append(option[0])
        rest = stripped[option[1]:]
    trees: list[Any] | None
    try:
        trees = sqlglot.parse(rest, read="tsql")
    except (ParseError, TokenError) as error:
        trees = _parse_without_semicolons(rest)
        if trees is None:
            raise TsqlError(102, f"Incorrect syntax: {_first_line(error)}") from None
    if any(_unread(tree) for tree in trees):  # sqlglot kept text it could not read as one command
        split = _parse_without_semicolons(rest)
        if split is not None and not any(_unread(tree) for tree in split):
            trees = split
    for tree in trees:
        if tree is None:
            continue
        if isinstance(tree, exp.Command) and str(tree.this).upper() == "SET":
            option = _set_option(tree.sql(dialect="tsql"))
            if option is not None:
                statements.append(option[0])
                continue
        statements.append(typing.cast(exp.Expression, tree))
    return statements


_STATEMENT_STARTS = {"SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "EXECUTE", "USE", "SET", "BEGIN", "COMMIT",
                     "ROLLBACK", "DECLARE"}
_CONTINUES = {"UNION", "EXCEPT", "INTERSECT", "ALL", "DISTINCT", "L_PAREN", "INSERT", "INTO", "ELSE"}


def _unread(tree: Any) -> bool:
    return isinstance(tree, exp.Command) and str(tree.this).upper() not in ("SET", "PRINT")


def _starts_statement(token: Any) -> bool:
    name, text = token.token_type.name, token.text.upper()
    return name in _STATEMENT_STARTS or (name == "COMMAND" and text == "PRINT") or (name == "VAR" and text == "IF")


def _parse_without_semicolons(text: str) -> list[Any] | None:
    """T-SQL separates statements by nothing at all (``SELECT 1 SELECT 2``): split before each
    statement keyword outside parentheses and parse the pieces; None when a piece still fails."""
    try:
        tokens = sqlglot.Dialect.get_or_raise("tsql").tokenize(text)
    except TokenError:
        return None
    starts = []
    depth = 0
    previous = None
    pending_if = 0  # IF's statement (and ELSE's) belong to it
    for token in tokens:
        name = token.token_type.name
        if name == "L_PAREN":
            depth += 1
        elif name == "R_PAREN":
            depth -= 1
        elif depth == 0 and _starts_statement(token):
            if previous is not None and previous not in _CONTINUES and pending_if == 0:
                starts.append(token.start)
            elif pending_if and previous not in _CONTINUES:
                pending_if -= 1
            if name == "VAR":  # IF
                pending_if += 1
        previous = name
    if not starts:
        return None
    bounds = [0, *starts, len(text)]
    trees: list[Any] = []
    for begin, end in zip(bounds, bounds[1:], strict=False):
        try:
            trees.extend(sqlglot.parse(text[begin:end], read="tsql"))
        except (ParseError, TokenError):
            return None
    return trees


def _set_option(text: str) -> tuple[SetOption, int] | None:
    if _VARIABLE.match(text):
        return None
    for pattern, name_group, value_group in ((_ISOLATION, 0, 1), (_ON_OFF, 1, 2), (_VALUED, 1, 2)):
        match = pattern.match(text)
        if match:
            name = "transaction isolation level" if name_group == 0 else match.group(name_group).lower()
            value = re.sub(r"\s+", " ", match.group(value_group)).strip("'").upper()
            return SetOption(match.group(0).strip(), name, value), match.end()
    return None


def _first_line(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# --- parameters ------------------------------------------------------------------------------------------
def parameter_name(node: exp.Expression) -> str | None:
    """``p1`` for ``@P1`` (lower case); None for anything else, ``@@VERSION`` included."""
    if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Var) and not isinstance(node.parent, exp.Parameter):
        return node.this.name.lower()
    return None


def bind(tree: exp.Expression, values: dict[str, Any]) -> exp.Expression:
    """``@name`` replaced by the literal of ``values[name]`` (names lower case, without ``@``)."""

    def replace(node: exp.Expression) -> exp.Expression:
        name = parameter_name(node)
        if name is None:
            return node
        if name not in values:
            raise TsqlError(137, f'Must declare the scalar variable "@{node.this.name}".', severity=15)
        value = values[name]
        if isinstance(value, float):  # a float parameter stays a float (a bare 1.5 would be a DECIMAL)
            return exp.cast(literal(value), "DOUBLE")
        return literal(value)

    return tree.transform(replace)


def declared_names(declaration: str) -> list[str]:
    """``["p1", "p2"]`` of ``@P1 int, @P2 nvarchar(4000) OUTPUT`` (sp_executesql's @params)."""
    return [name.lower() for name in re.findall(r"@(\w+)", declaration or "")]


# --- system functions and variables -------------------------------------------------------------------
@dataclass
class Context:
    database: str
    user: str
    schema: str
    spid: int
    transaction_count: int = 0
    language: str = "us_english"
    #: table name -> its sys.objects object_id (OBJECT_ID(), OBJECT_NAME())
    object_ids: dict[str, int] | None = None


SERVER_PROPERTIES: dict[str, Any] = {
    "productversion": PRODUCT_VERSION,
    "productlevel": "RTM",
    "edition": "Standard Edition (64-bit)",
    "engineedition": 2,
    "servername": "bbsql",
    "machinename": "bbsql",
    "instancename": None,
    "collation": "Latin1_General_CI_AS",
    "isclustered": 0,
    "isfulltextinstalled": 0,
    "isintegratedsecurityonly": 0,
    "ishadrenabled": 0,
    "issingleuser": 0,
    "productmajorversion": str(SERVER_VERSION[0]),
    "productminorversion": str(SERVER_VERSION[1]),
    "productbuild": str(SERVER_VERSION[2]),
    "buildclrversion": None,
    "lcid": 1033,
}


def _variable(name: str, context: Context) -> Any:
    values: dict[str, Any] = {
        "version": VERSION_TEXT, "spid": context.spid, "trancount": context.transaction_count,
        "language": context.language, "servername": "bbsql", "servicename": "MSSQLSERVER",
        "max_precision": 38, "textsize": 2147483647, "datefirst": 7, "lock_timeout": -1, "rowcount": 0,
        "error": 0, "identity": None, "options": 5496, "microsoftversion": 0x0F0007D0, "langid": 0,
        "procid": 0, "nestlevel": 0, "dbts": None, "max_connections": 32767,
    }
    if name not in values:
        raise TsqlError(137, f'Must declare the scalar variable "@@{name.upper()}".', severity=15)
    return values[name]


def _function(name: str, args: list[exp.Expression], context: Context) -> Any:
    """The value of a system function, or ``...`` (Ellipsis) when ``name`` is not one."""
    args = [exp.Literal.string(arg.this) if isinstance(arg, exp.National) else arg for arg in args]
    if not all(isinstance(arg, exp.Literal) for arg in args):
        return ...  # over columns: the metadata database's macros answer (OBJECT_NAME(t.object_id))
    first = args[0].name.lower() if args else None
    if name in ("db_name", "original_db_name"):
        return context.database if not args or first in ("5", context.database.lower()) else None
    if name == "db_id":
        return 5 if not args or first == context.database.lower() else None
    schemas = {SCHEMA_ID: context.schema, 1: "dbo", 3: "INFORMATION_SCHEMA", 4: "sys"}
    if name == "schema_name":
        return context.schema if not args else schemas.get(int(first)) if first and first.isdigit() else None
    if name == "schema_id":
        ids = {schema.lower(): number for number, schema in schemas.items()}
        return SCHEMA_ID if not args else ids.get(first or "")
    if name in ("user_name", "suser_name", "suser_sname", "original_login", "session_user", "system_user",
                "current_user"):
        return context.user
    if name in ("user_id", "suser_id"):
        return 1
    if name == "serverproperty":
        return SERVER_PROPERTIES.get(first or "")
    if name == "databasepropertyex":
        prop = args[1].name.lower() if len(args) > 1 else ""
        return {"collation": "Latin1_General_CI_AS", "status": "ONLINE", "updateability": "READ_ONLY",
                "useraccess": "MULTI_USER", "version": 904}.get(prop)
    if name == "is_srvrolemember":
        return 0
    if name in ("is_member", "has_dbaccess"):
        return 1
    if name == "host_name":
        return "bbsql"
    if name == "app_name":
        return ""
    if name == "object_name":
        names = {number: table for table, number in (context.object_ids or {}).items()}
        return names.get(int(first)) if first and first.isdigit() else None
    return ...


def _object_id(node: exp.Expression, context: Context) -> int | None:
    """OBJECT_ID('[schema].[table]') of a Bitbucket table (None for anything else, as SQL Server says)."""
    if not isinstance(node, exp.Literal) or not node.is_string:
        return None
    parts = [part.strip().strip("[]\"") for part in node.this.split(".")]
    if len(parts) > 1 and parts[-2].lower() not in (context.schema.lower(), "dbo"):
        return None
    return (context.object_ids or {}).get(parts[-1].lower())


def substitute_system(tree: exp.Expression, context: Context) -> exp.Expression:
    """``@@VERSION``, ``DB_NAME()``, ``SERVERPROPERTY('...')``... replaced by their values."""

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Parameter):
            return literal(_variable(node.this.name.lower(), context))
        if isinstance(node, exp.CurrentSchema):
            return literal(context.schema)
        if isinstance(node, exp.ObjectId):
            if not isinstance(node.this, exp.Literal):
                return exp.Anonymous(this="object_id", expressions=[node.this])
            return literal(_object_id(node.this, context))
        if isinstance(node, exp.CurrentUser | exp.SessionUser):
            return literal(context.user)
        if isinstance(node, exp.CurrentDatabase | exp.CurrentCatalog):
            return literal(context.database)
        if isinstance(node, exp.Anonymous):
            value = _function(node.name.lower(), list(node.expressions), context)
            if value is not ...:
                return literal(value)
        if isinstance(node, exp.Column) and not node.table and isinstance(node.this, exp.Identifier) \
                and not node.this.quoted and node.name.upper() in ("SYSTEM_USER", "SESSION_USER"):
            return literal(context.user)
        if isinstance(node, exp.National):
            return exp.Literal.string(node.this)
        return node

    return tree.transform(replace)


# --- tables ---------------------------------------------------------------------------------------------
METADATA_SCHEMAS = ("sys", "information_schema")


def table_references(tree: exp.Expression) -> list[exp.Table]:
    """The tables a statement reads (CTE names left out)."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    tables = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue
        if not table.db and table.name.lower() in ctes:
            continue
        tables.append(table)
    return tables


def is_metadata(table: exp.Table) -> bool:
    return table.db.lower() in METADATA_SCHEMAS


def resolve_tables(tree: exp.Expression, context: Context, known_databases: set[str]) -> str:
    """Rewrite table names in place; ``"metadata"``, ``"engine"`` or ``"none"`` (no table at all).

    ``[db].[schema].[table]`` loses its database part when it is the current one; ``dbo`` and
    an empty schema read the database's workspace; ``sys.x`` and ``INFORMATION_SCHEMA.X``
    become the metadata tables ``sys_x`` and ``information_schema_x``. Mixing both is refused.
    """
    tables = table_references(tree)
    if not tables:
        return "none"
    kinds = set()
    for table in tables:
        catalog = table.catalog
        if catalog:
            if catalog.lower() != context.database.lower():
                known = catalog.lower() in {name.lower() for name in known_databases}
                raise TsqlError(
                    40515 if known else 911,
                    f"Reference to database '{catalog}' is not supported in this database ({context.database}); "
                    "connect to it (or USE it) instead." if known else
                    f"Database '{catalog}' does not exist. Make sure that the name is entered correctly.")
            table.set("catalog", None)
        if is_metadata(table):
            kinds.add("metadata")
            local = f"{table.db.lower()}_{table.name.lower()}"
            if not table.alias:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
            table.set("this", exp.to_identifier(local))
            table.set("db", None)
            continue
        kinds.add("engine")
        if table.db.lower() == "dbo":
            table.set("db", None)
    if len(kinds) > 1:
        raise TsqlError(40516, "A query cannot join the metadata views (sys, INFORMATION_SCHEMA) with Bitbucket "
                               "tables; run them as two queries.")
    for column in tree.find_all(exp.Column):  # [INFORMATION_SCHEMA].[SCHEMATA].[SCHEMA_NAME], [dbo].[t].[c]
        if column.args.get("catalog") is not None and column.catalog.lower() == context.database.lower():
            column.set("catalog", None)
        if column.args.get("db") is not None and column.db.lower() in (*METADATA_SCHEMAS, "dbo"):
            column.set("db", None)
            column.set("catalog", None)
    return kinds.pop()


_T = exp.DataType.Type
_SIZED_TEXT = {_T.NVARCHAR, _T.VARCHAR, _T.NCHAR, _T.CHAR, _T.VARBINARY, _T.BINARY, _T.TEXT}


def _duckdb_type(node: exp.Expression) -> exp.Expression:
    """T-SQL's types as DuckDB reads them: bit is a boolean, float is 8 bytes, money a decimal, (max) no size."""
    if not isinstance(node, exp.DataType):
        return node
    kind = node.this
    if kind == _T.USERDEFINED and str(node.args.get("kind", "")).lower() == "sysname":
        return exp.DataType.build("VARCHAR")  # SQL Server's nvarchar(128) for names
    if kind == _T.BIT:
        return exp.DataType.build("BOOLEAN")
    if kind == _T.MONEY:
        return exp.DataType.build("DECIMAL(19, 4)")
    if kind == _T.SMALLMONEY:
        return exp.DataType.build("DECIMAL(10, 4)")
    if kind == _T.FLOAT:
        sizes = [int(size.name) for size in node.expressions if size.name.isdigit()]
        return exp.DataType.build("REAL" if sizes and sizes[0] <= 24 else "DOUBLE")
    if kind in _SIZED_TEXT and node.expressions:
        return exp.DataType(this=kind, nested=False)
    return node


def _is_text(node: exp.Expression) -> bool:
    if isinstance(node, exp.Literal):
        return node.is_string
    if isinstance(node, exp.National | exp.DPipe):
        return True
    if isinstance(node, exp.Cast | exp.TryCast):
        return node.to.this in _SIZED_TEXT
    if isinstance(node, exp.Add):
        return _is_text(node.this) or _is_text(node.expression)
    return False


def _string_plus(tree: exp.Expression) -> exp.Expression:
    """T-SQL's ``+`` between strings is concatenation (DuckDB's ``||``) when a side is visibly text."""
    for node in reversed(list(tree.find_all(exp.Add))):  # the innermost first: an outer one sees its result
        if _is_text(node.this) or _is_text(node.expression):
            concatenation = exp.DPipe(this=node.this, expression=node.expression, safe=True)
            if node is tree:
                return concatenation
            node.replace(concatenation)
    return tree


_DATE_ZERO = "1900-01-01"
_ODBC_FUNCTIONS: dict[str, type[exp.Expression]] = {"curdate": exp.CurrentDate, "curtime": exp.CurrentTime,
                                                    "now": exp.CurrentTimestamp}


_DATE_TYPES = {_T.DATE, _T.DATETIME, _T.DATETIME2, _T.SMALLDATETIME, _T.TIMESTAMPTZ, _T.TIMESTAMP}
#: the styles of CONVERT whose text is ISO 8601 (or its basic form) and reads as a plain CAST
_ISO_STYLES = {None, 20, 21, 23, 112, 120, 121, 126, 127}
_BASIC_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?))?$")
_ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?Z?$")


def _iso_text(text: str) -> str | None:
    """A T-SQL date literal as DuckDB reads it: ``20250101 [hh:mm:ss]`` (SQL Server's language-neutral
    form, which Power Query and reporting tools send) and ISO 8601 with ``T``, a ``Z`` or 7 digits of
    fraction; None when it is neither (DuckDB reads it as it is, or says why not)."""
    text = text.strip()
    basic = _BASIC_DATE.match(text)
    if basic:
        year, month, day, clock = basic.groups()
        return f"{year}-{month}-{day}" + (f" {clock}" if clock else "")
    if _ISO_TIMESTAMP.match(text):
        date, clock = text[:10], text[11:].rstrip("Z")
        whole, _, fraction = clock.partition(".")
        return f"{date} {whole}" + (f".{fraction[:6]}" if fraction else "")
    return None


def _date_literal(node: exp.Expression) -> exp.Expression:
    """CAST/CONVERT of a date-time literal to a date-time type, in a form DuckDB reads."""
    if isinstance(node, exp.Convert) and isinstance(node.this, exp.DataType) and node.this.this in _DATE_TYPES:
        value = node.expression
        style = node.args.get("style")
        style_number = int(style.name) if isinstance(style, exp.Literal) and style.name.isdigit() else None
        if isinstance(value, exp.Literal | exp.National) and (value.is_string if isinstance(value, exp.Literal)
                                                              else True) and style_number in _ISO_STYLES:
            text = _iso_text(str(value.this))
            if text is not None:
                return exp.Cast(this=exp.Literal.string(text), to=node.this.copy())
    if isinstance(node, exp.Cast) and node.to.this in _DATE_TYPES and isinstance(node.this, exp.Literal | exp.National):
        text = _iso_text(str(node.this.this)) if not isinstance(node.this, exp.Literal) or node.this.is_string \
            else None
        if text is not None:
            node.set("this", exp.Literal.string(text))
    return node


def _idioms(node: exp.Expression) -> exp.Expression:
    """T-SQL idioms DuckDB reads otherwise: a date written as a number of days since 1900-01-01
    (``DATEADD(month, DATEDIFF(month, 0, d), 0)``, Tableau's month truncation), COLLATE (dropped: DuckDB
    compares as written), ODBC's ``{fn NOW()}``/``{fn CURDATE()}``."""
    if isinstance(node, exp.DateAdd) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        zero = exp.cast(exp.Literal.string(_DATE_ZERO), "TIMESTAMP")
        days = int(float(node.this.this))
        start = zero if days == 0 else exp.DateAdd(this=zero, expression=exp.Literal.number(days),
                                                   unit=exp.Var(this="DAY"))
        node.set("this", start)
        return node
    if isinstance(node, exp.Convert | exp.Cast):
        return _date_literal(node)
    if isinstance(node, exp.Collate):
        return node.this
    if isinstance(node, exp.Anonymous) and node.name.lower() in _ODBC_FUNCTIONS and not node.expressions:
        return _ODBC_FUNCTIONS[node.name.lower()]()
    return node


def to_duckdb(tree: exp.Expression) -> str:
    return _string_plus(tree.copy().transform(_idioms)).transform(_duckdb_type).sql(dialect="duckdb")

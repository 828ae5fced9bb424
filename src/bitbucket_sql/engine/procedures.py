"""``CALL procedure(...)``: Bitbucket actions (merge, approve, stop a pipeline) through SQL.

The path of one call:

1. :func:`parse_call` reads ``[EXPLAIN] CALL [workspace.]name(args)`` after binding ``?``
   parameters (the same safe binding as queries); arguments are positional or named
   (``name => value``, ``name := value`` or ``name = value``) and must be constants;
2. :func:`bind_call` checks them against the procedure's declaration
   (:mod:`bitbucket_sql.catalog.procedures`) *before any request*: unknown procedure or
   parameter, missing required value, wrong type, a value outside the API's choices, a key that
   cannot be a path segment. ``workspace`` defaults to the schema (``CALL acme.x(...)``) or the
   connection's Workspace;
3. :func:`run_call` refuses under ``ReadOnly=true``, sends the request (after a lookup GET for
   ``rerun_pipeline``), polls a 202 merge's task status within QueryTimeout, and returns one row
   read from the answer. A 403 names the scopes the action needs. The engine's caches are
   cleared, so the next read sees the change;
4. ``EXPLAIN CALL`` (:func:`explain_call`) shows the exact request and sends nothing.

The natural UPDATE (``UPDATE pull_requests SET state = 'MERGED'``) is in
:mod:`.procedure_update`, the procedure system tables in :mod:`.procedure_tables`.
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from bitbucket_sql.api.errors import PermissionDeniedError, TransportError
from bitbucket_sql.catalog import procedures as catalog
from bitbucket_sql.catalog.procedures import ProcedureDef, ProcedureParam
from bitbucket_sql.catalog.templates import fill, identifier_problem

from .deadline import QueryDeadline
from .errors import ParameterError, QueryTimeoutError, SqlSyntaxError, UnsupportedStatementError
from .result import QueryResult, QueryStats, ResultColumn
from .rows import extract_row, read_path
from .statements import DIALECT, ExplainMode, bind_parameters, split_explain
from .system_tables import duckdb_type
from .writes.errors import ReadOnlyConnectionError, UncertainCallError, WriteScopeError
from .writes.send import missing_scope

if TYPE_CHECKING:
    from .engine import Engine

#: How long a 202 merge is polled when the connection sets no QueryTimeout.
DEFAULT_MERGE_WAIT_S = 120.0
#: First wait between task-status polls; doubles up to the maximum.
POLL_FIRST_S = 0.2
POLL_MAX_S = 2.0

_CALL = re.compile(r"^\s*call\b", re.IGNORECASE)


# --------------------------------------------------------------------------- errors


class UnknownProcedureError(ParameterError):
    """``CALL`` of a name the procedure catalog does not have."""

    def __init__(self, name: str, closest: Sequence[str] = ()) -> None:
        self.name = name
        hint = f" Did you mean {' or '.join(repr(c) for c in closest)}?" if closest else ""
        super().__init__(
            f"Unknown procedure {name!r}.{hint} List the procedures with SELECT ProcedureName, Description "
            f"FROM sys_procedures (docs/procedures.md describes each)."
        )


class ProcedureArgumentError(ParameterError):
    """An argument of a CALL is unknown, missing, of the wrong type or not an accepted value."""

    def __init__(self, procedure: str, parameter: str | None, message: str) -> None:
        self.procedure = procedure
        self.parameter = parameter
        super().__init__(message)


class MergePendingError(QueryTimeoutError):
    """Bitbucket accepted a merge (202) that had not finished when the wait ended."""

    def __init__(self, seconds: float, message: str) -> None:
        self.seconds = seconds
        self.phase = "waiting for the merge"
        Exception.__init__(self, message)


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Argument:
    """One argument as written: its value and the SQL text it came from (for messages)."""

    value: Any
    text: str


@dataclass(frozen=True)
class CallStatement:
    """A parsed ``CALL``: procedure name, optional schema, positional and named arguments."""

    name: str
    schema: str | None
    positional: tuple[Argument, ...]
    named: tuple[tuple[str, Argument], ...]
    explain: ExplainMode
    sql: str


def is_call(sql: str) -> bool:
    """Whether ``sql`` (after an optional EXPLAIN) is a CALL statement."""
    _, body = split_explain(sql)
    return bool(_CALL.match(_without_leading_comments(body)))


def parse_call(sql: str, params: Sequence[Any] | None = None) -> CallStatement | None:
    """The CALL statement in ``sql``, or None when ``sql`` is not a CALL.

    sqlglot reads ``CALL`` as an opaque command, so the rest is read as the one expression of a
    ``SELECT``: ``name(args)``, ``schema.name(args)`` or ``name``. Parameters are bound the same
    way as in queries, and comments are ignored.
    """
    mode, body = split_explain(sql)
    body = _without_leading_comments(body)
    keyword = _CALL.match(body)
    if keyword is None:
        return None
    select_text = bind_parameters("SELECT" + body[keyword.end():], params)
    bound = "CALL" + select_text[len("SELECT"):]
    try:
        trees = [tree for tree in sqlglot.parse(select_text, read=DIALECT) if tree is not None]
    except (ParseError, TokenError):
        raise _shape_error() from None
    if len(trees) != 1:
        raise UnsupportedStatementError(f"Expected one SQL statement, got {len(trees)}. Send statements one at a time.")
    tree = trees[0]
    extra = [key for key, value in tree.args.items() if value and key != "expressions"]
    if not isinstance(tree, exp.Select) or len(tree.expressions) != 1 or extra:
        raise _shape_error()
    target = tree.expressions[0]
    schema: str | None = None
    if isinstance(target, exp.Dot) and isinstance(target.this, exp.Identifier | exp.Column):
        schema = _identifier_text(target.this.this if isinstance(target.this, exp.Column) else target.this)
        target = target.expression
    arguments: list[exp.Expression] = []
    if isinstance(target, exp.Column) and not target.args.get("db"):
        if target.args.get("table") is not None:
            schema = _identifier_text(target.args["table"])
        name = target.name.lower()
    elif isinstance(target, exp.Anonymous):
        name = str(target.name).lower()
        arguments = list(target.expressions)
    elif isinstance(target, exp.Func):  # a name that is also a SQL function (CALL upper(...))
        name = target.sql_name().lower()
        raise UnknownProcedureError(name, catalog.closest_procedures(name))
    else:
        raise _shape_error()
    positional, named = _arguments(name, arguments)
    return CallStatement(name, schema, tuple(positional), tuple(named), mode, bound.strip())


def _shape_error() -> SqlSyntaxError:
    return SqlSyntaxError(
        "SQL syntax error: a CALL is written CALL procedure_name(argument, ...) or with named arguments "
        "CALL procedure_name(name => value, ...), optionally as CALL workspace.procedure_name(...) (quote a "
        "workspace with a '-': \"my-team\".name). List the procedures with SELECT * FROM sys_procedures."
    )


def _identifier_text(node: exp.Expression) -> str:
    """An identifier as written: quoted keeps its case, unquoted is folded to lower case."""
    if isinstance(node, exp.Identifier):
        return node.name if node.quoted else node.name.lower()
    return node.name.lower()


def _without_leading_comments(sql: str) -> str:
    text = sql.lstrip()
    while text.startswith(("--", "/*")):
        if text.startswith("--"):
            newline = text.find("\n")
            text = "" if newline == -1 else text[newline + 1 :].lstrip()
        else:
            end = text.find("*/")
            text = "" if end == -1 else text[end + 2 :].lstrip()
    return text


def _arguments(procedure: str, nodes: Sequence[exp.Expression]) -> tuple[list[Argument], list[tuple[str, Argument]]]:
    positional: list[Argument] = []
    named: list[tuple[str, Argument]] = []
    for node in nodes:
        key: str | None = None
        value_node = node
        if isinstance(node, exp.Kwarg | exp.PropertyEQ) or (
            isinstance(node, exp.EQ) and isinstance(node.this, exp.Column) and not node.this.table
        ):
            key = node.this.name.lower()
            value_node = node.expression
        text_of = value_node.sql(dialect=DIALECT)
        value = _constant(procedure, key, value_node)
        if key is None:
            if named:
                raise ProcedureArgumentError(
                    procedure, None,
                    f"CALL {procedure}: the positional argument {text_of} follows a named one. Write positional "
                    f"arguments first, or name every argument (name => value).",
                )
            positional.append(Argument(value, text_of))
        else:
            named.append((key, Argument(value, text_of)))
    return positional, named


def _constant(procedure: str, key: str | None, node: exp.Expression) -> Any:
    """The Python value of a constant argument (literals, NULL, TRUE, -1, CAST(...))."""
    if isinstance(node, exp.Paren):
        return _constant(procedure, key, node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        return _number(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return -_number(node.this.this)
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal | exp.Null | exp.Boolean):
        return _evaluate_cast(procedure, key, node)
    what = f"argument {key!r}" if key else f"the argument {node.sql(dialect=DIALECT)}"
    raise ProcedureArgumentError(
        procedure, key,
        f"CALL {procedure}: {what} must be a constant (a literal such as 'text', 42, TRUE or NULL, or a ? "
        f"parameter), not {node.sql(dialect=DIALECT)!r}. Procedures take values, not columns or expressions.",
    )


def _number(text: str) -> int | float | decimal.Decimal:
    try:
        return int(text)
    except ValueError:
        number = decimal.Decimal(text)
        return int(number) if number == number.to_integral_value() else number


def _evaluate_cast(procedure: str, key: str | None, node: exp.Cast) -> Any:
    """A CAST of a literal, as DuckDB computes it (a bound date or timestamp parameter is one)."""
    import duckdb

    connection = duckdb.connect(config={"enable_external_access": False})
    try:
        row = connection.execute(f"SELECT {node.sql(dialect=DIALECT)}").fetchone()
    except duckdb.Error as error:
        raise ProcedureArgumentError(
            procedure, key, f"CALL {procedure}: {node.sql(dialect=DIALECT)} is not a valid value ({error})."
        ) from None
    finally:
        connection.close()
    return row[0] if row else None


# --------------------------------------------------------------------------- binding


@dataclass
class BoundCall:
    """A call checked against its declaration: the values of every parameter and the request."""

    procedure: ProcedureDef
    arguments: dict[str, Any]
    path: str
    query: dict[str, Any]
    body: dict[str, Any] | None
    lookup_path: str | None = None
    explain: ExplainMode = "none"


def get_procedure(name: str) -> ProcedureDef:
    procedure = catalog.get_procedure(name)
    if procedure is None:
        raise UnknownProcedureError(name, catalog.closest_procedures(name))
    return procedure


def bind_call(call: CallStatement, default_schema: str | None) -> BoundCall:
    """Check a parsed CALL against its procedure; raises before any request on bad input."""
    procedure = get_procedure(call.name)
    given: dict[str, Argument] = {}
    if len(call.positional) > len(procedure.params):
        raise ProcedureArgumentError(
            procedure.name, None,
            f"CALL {procedure.name} takes at most {len(procedure.params)} arguments "
            f"({_signature(procedure)}), but {len(call.positional)} were given.",
        )
    for position, argument in zip(procedure.params, call.positional, strict=False):
        given[position.name] = argument
    for key, argument in call.named:
        param = procedure.param(key)
        if param is None:
            close = difflib.get_close_matches(key, [p.name for p in procedure.params], n=2, cutoff=0.5)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise ProcedureArgumentError(
                procedure.name, key,
                f"Procedure {procedure.name} has no parameter {key!r}.{hint} Its parameters are: "
                f"{_signature(procedure)}.",
            )
        if param.name in given:
            raise ProcedureArgumentError(
                procedure.name, key,
                f"CALL {procedure.name}: parameter {key!r} is given twice (by position and by name, or twice by "
                f"name). Give each parameter once.",
            )
        given[param.name] = argument
    values = {name: argument.value for name, argument in given.items()}
    return bind_values(procedure, values, call.schema or default_schema, explain=call.explain,
                       texts={name: argument.text for name, argument in given.items()})


def bind_values(
    procedure: ProcedureDef,
    values: Mapping[str, Any],
    default_schema: str | None,
    *,
    explain: ExplainMode = "none",
    texts: Mapping[str, str] | None = None,
) -> BoundCall:
    """Validate parameter values (by name) and build the request of ``procedure``."""
    texts = texts or {}
    arguments: dict[str, Any] = {}
    for param in procedure.params:
        value = values.get(param.name)
        if value is None and param.from_schema:
            value = default_schema
        if value is None:
            value = param.default
        if value is None:
            if param.required:
                raise ProcedureArgumentError(procedure.name, param.name, _missing(procedure, param))
            continue
        arguments[param.name] = _checked(procedure, param, value, texts.get(param.name))
    path_values = {p.name: arguments[p.name] for p in procedure.params if p.location == "path"}
    try:
        path = fill(procedure.path, path_values)
        lookup_path = fill(procedure.lookup.path, path_values) if procedure.lookup else None
    except ValueError as error:
        raise ProcedureArgumentError(procedure.name, None, f"CALL {procedure.name}: {error}.") from None
    query = {p.api_field: _query_text(arguments[p.name]) for p in procedure.params
             if p.location == "query" and p.name in arguments}
    body: dict[str, Any] | None = None
    if procedure.sends_body:
        body = dict(procedure.fixed_body)
        for param in procedure.params:
            if param.location == "body" and param.name in arguments:
                _put(body, param.api_field, arguments[param.name])
    return BoundCall(procedure, arguments, path, query, body, lookup_path, explain)


def _signature(procedure: ProcedureDef) -> str:
    return ", ".join(f"{p.name} {p.type}{'' if p.required else ' (optional)'}" for p in procedure.params)


def _missing(procedure: ProcedureDef, param: ProcedureParam) -> str:
    if param.from_schema:
        return (
            f"CALL {procedure.name} needs a workspace, and the connection has no Workspace. Pass it "
            f"(workspace => 'acme'), write it as the schema (CALL acme.{procedure.name}(...)), or set Workspace "
            f"in the connection string."
        )
    required = ", ".join(p.name for p in procedure.params if p.required and not p.from_schema)
    return (
        f"CALL {procedure.name} is missing the required parameter {param.name!r} ({param.type}: "
        f"{param.description}). Its required parameters are {required}; e.g. "
        f"CALL {procedure.name}({', '.join(f'{p.name} => ...' for p in procedure.params if p.required and not p.from_schema)})."
    )


_TYPE_WORDS = {"VARCHAR": "text ('...')", "BIGINT": "a whole number", "BOOLEAN": "TRUE or FALSE"}


def _checked(procedure: ProcedureDef, param: ProcedureParam, value: Any, text: str | None) -> Any:
    """``value`` as the parameter's type; a clear error naming the parameter otherwise."""
    shown = text if text is not None else repr(value)
    checked: Any = None
    if param.type == "VARCHAR" and isinstance(value, str):
        checked = value
    elif param.type == "BIGINT" and not isinstance(value, bool):
        if isinstance(value, int):
            checked = value
        elif isinstance(value, decimal.Decimal | float) and value == int(value):
            checked = int(value)
        elif isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            checked = int(value)  # '6' as SQL would cast it (`bbsql query -p 6` passes text)
    elif param.type == "BOOLEAN":
        if isinstance(value, bool):
            checked = value
        elif isinstance(value, str) and value.strip().lower() in ("true", "false"):
            checked = value.strip().lower() == "true"
    if checked is None:
        raise ProcedureArgumentError(
            procedure.name, param.name,
            f"CALL {procedure.name}: parameter {param.name!r} is {param.type} ({param.description}); "
            f"{shown} ({_sql_type_of(value)}) is not {_TYPE_WORDS.get(param.type, param.type)}. "
            f"Pass {_example(param)}.",
        )
    if param.choices and checked not in param.choices:
        raise ProcedureArgumentError(
            procedure.name, param.name,
            f"CALL {procedure.name}: {param.name} {checked!r} is not one Bitbucket accepts; use one of "
            f"{', '.join(param.choices)}.",
        )
    if param.location == "path":
        if isinstance(checked, int) and checked < 1:
            raise ProcedureArgumentError(
                procedure.name, param.name,
                f"CALL {procedure.name}: {param.name} must be a positive number, not {checked}.",
            )
        problem = identifier_problem(str(checked)) if param.type == "VARCHAR" else None
        if problem is not None:
            raise ProcedureArgumentError(
                procedure.name, param.name,
                f"CALL {procedure.name}: {param.name} {checked!r} cannot be part of a Bitbucket URL: {problem}.",
            )
    return checked


def _sql_type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, float | decimal.Decimal):
        return "DECIMAL"
    if isinstance(value, str):
        return "VARCHAR"
    if isinstance(value, datetime.datetime):
        return "TIMESTAMP"
    if isinstance(value, datetime.date):
        return "DATE"
    return type(value).__name__


def _example(param: ProcedureParam) -> str:
    if param.choices:
        return f"{param.name} => '{param.choices[0]}'"
    return {"VARCHAR": f"{param.name} => 'text'", "BIGINT": f"{param.name} => 3",
            "BOOLEAN": f"{param.name} => TRUE"}.get(param.type, param.name)


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _put(body: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    target = body
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


# --------------------------------------------------------------------------- running


def _check_writable(engine: Engine, procedure: ProcedureDef) -> None:
    if getattr(engine.settings, "read_only", False):
        raise ReadOnlyConnectionError(f"CALL {procedure.name}")  # the same refusal as INSERT/UPDATE/DELETE


def run_call(engine: Engine, bound: BoundCall) -> QueryResult:
    """Send the call's request(s) and return its one result row."""
    procedure = bound.procedure
    _check_writable(engine, procedure)
    started = time.monotonic()
    client = engine.client
    with client.recording() as recording:
        try:
            body = bound.body
            if procedure.lookup is not None and bound.lookup_path is not None:
                body = _body_from_lookup(procedure, client.get(bound.lookup_path), body)
            response = client.request(procedure.method, bound.path, params=bound.query or None,
                                      json=body if procedure.sends_body else None)
            answer: Any = None
            if response.status_code == 202 and procedure.async_task:
                answer = _wait_for_merge(engine, bound, response.headers.get("location"), started)
            elif not procedure.no_content and response.content:
                answer = client._json(response)
        except PermissionDeniedError as error:
            if missing_scope(error, procedure.scope) is None:
                raise  # not a scope: a permission the account lacks (the API's message says which)
            raise _scope_error(procedure, error) from error
        except TransportError as error:
            if procedure.method != "POST":
                raise  # PUT and DELETE are idempotent: the client retried them, this is the last failure
            raise _uncertain(procedure, bound, error) from error
        finally:
            _invalidate(engine, bound)
    row = _result_row(bound, answer)
    columns = [ResultColumn(c.name, duckdb_type(c.type)) for c in procedure.result_columns]
    stats = QueryStats(requests=recording.requests, retries=recording.retries, bytes=recording.bytes,
                       rows_returned=1, elapsed_s=time.monotonic() - started,
                       api_s=time.monotonic() - started)
    return QueryResult(columns, [row], stats)


def _body_from_lookup(procedure: ProcedureDef, found: Any, body: dict[str, Any] | None) -> dict[str, Any]:
    """The action's body with the fields the lookup supplies (a pipeline's target, say)."""
    assert procedure.lookup is not None
    result = dict(body or {})
    for field_name, source in procedure.lookup.body:
        value = _as_input(read_path(found, source))
        if value is not None:
            result[field_name] = value
    return result


def _as_input(value: Any) -> Any:
    """A value read from the API as the API takes it back: no nulls, no links, commits by hash."""
    if not isinstance(value, dict):
        return value
    if "hash" in value:
        return {"type": value.get("type", "commit"), "hash": value["hash"]}
    return {key: _as_input(item) for key, item in value.items() if item is not None and key != "links"}


def _wait_for_merge(engine: Engine, bound: BoundCall, location: str | None, started: float) -> Any:
    """Poll the task status of a 202 merge until SUCCESS (its ``merge_result``), within QueryTimeout."""
    arguments = bound.arguments
    what = f"pull request {arguments.get('pull_request_id')} in {arguments.get('workspace')}/{arguments.get('repository')}"
    check = (f"SELECT state, merge_commit_hash FROM pull_requests WHERE repository = "
             f"'{arguments.get('repository')}' AND id = {arguments.get('pull_request_id')}")
    if not location:
        raise MergePendingError(0.0, (
            f"Bitbucket accepted the merge of {what} (202) but gave no task-status URL to follow; the merge may "
            f"still complete. Check with {check}."
        ))
    timeout = getattr(engine.settings, "query_timeout", None)
    deadline = QueryDeadline(timeout or DEFAULT_MERGE_WAIT_S, started)
    wait = POLL_FIRST_S
    while True:
        status = engine.client.get(location)
        if isinstance(status, dict) and status.get("task_status") == "SUCCESS":
            return status.get("merge_result")
        remaining = deadline.remaining() or 0.0
        if remaining <= 0:
            limit = f"QueryTimeout={timeout:g}" if timeout else f"{DEFAULT_MERGE_WAIT_S:g} seconds (no QueryTimeout set)"
            raise MergePendingError(deadline.seconds or 0.0, (
                f"Bitbucket accepted the merge of {what}, but it was still {status.get('task_status', 'PENDING')} "
                f"after {limit}; the merge may still complete. Check with {check} (or poll {location}), and raise "
                f"QueryTimeout to wait longer."
            ))
        time.sleep(min(wait, remaining))
        wait = min(wait * 2, POLL_MAX_S)


def _scope_error(procedure: ProcedureDef, error: PermissionDeniedError) -> WriteScopeError:
    """A 403 for a missing scope, naming the scopes the action needs (its declaration, from the spec)."""
    said = " ".join(part for part in (error.api_message, error.detail) if part) or "forbidden"
    return WriteScopeError(
        f"CALL {procedure.name} was refused (403): the credential lacks the scope {procedure.scope!r} that this "
        f"action needs (as API-token or access-token scopes: {', '.join(procedure.token_scopes)}). Create a token "
        f"or consumer with that scope and connect with it. Bitbucket said: {said}",
        procedure.scope,
    )


def _uncertain(procedure: ProcedureDef, bound: BoundCall, error: TransportError) -> UncertainCallError:
    """A POST without an answer: it may have been applied, and is not repeated."""
    reason = error.summary.strip().rstrip(".")
    where = procedure.tables[0] if procedure.tables else "the table it changes"
    return UncertainCallError(procedure.name, f"{procedure.method} {bound.path}", reason,
                              f"Check with a SELECT on {where} whether it was applied before calling it again.")


def _invalidate(engine: Engine, bound: BoundCall) -> None:
    """Read-your-writes: drop the cached results, and the cached scans of the repository acted on.

    Uses the engine's write invalidation (``forget_cached``) when it has one; else clears both caches."""
    forget: Callable[[str | None, Sequence[str]], Any] | None = getattr(engine, "forget_cached", None)
    if forget is not None:
        forget(bound.arguments.get("workspace"), [bound.path])
        return
    engine.result_cache.clear()
    engine.scan_cache.clear()


def _result_row(bound: BoundCall, answer: Any) -> tuple[Any, ...]:
    procedure = bound.procedure
    if procedure.no_content:
        return True, procedure.done.format(**{p.name: bound.arguments.get(p.name) for p in procedure.params})
    return extract_row(answer if isinstance(answer, dict) else {}, procedure.result, {})


# --------------------------------------------------------------------------- EXPLAIN


def explain_call(engine: Engine, bound: BoundCall, *, dry_run: bool = True) -> QueryResult:
    """The exact request(s) of a call, one line each; nothing is sent (the lines of a write's EXPLAIN)."""
    procedure = bound.procedure
    client = engine.client
    count = 2 if bound.lookup_path is not None else 1
    sent = "none sent: EXPLAIN is a dry run" if dry_run else "sent"
    lines = [f"Procedure: CALL {procedure.name}: {procedure.description}",
             f"Requests ({count} request{'s' if count > 1 else ''}, {sent}):"]
    if bound.lookup_path is not None:
        sources = ", ".join(f"{target} <- {source}" for target, source in procedure.lookup.body) if procedure.lookup else ""
        lines.append(f"  1. GET {client.url_for(bound.lookup_path)}")
        lines.append(f"     its answer fills the body of request 2: {sources}")
    lines.append(f"  {count}. {procedure.method} {client.url_for(bound.path, bound.query or None)}")
    if procedure.sends_body:
        shown = dict(bound.body or {})
        if procedure.lookup is not None:
            for target, _ in procedure.lookup.body:
                shown.setdefault(target, f"<{target} of the run read by request 1>")
        lines.append(f"     body: {json.dumps(shown, sort_keys=True, default=str)}")
    else:
        lines.append("     body: none")
    if procedure.async_task:
        timeout = getattr(engine.settings, "query_timeout", None)
        limit = f"QueryTimeout={timeout:g}" if timeout else f"{DEFAULT_MERGE_WAIT_S:g} s (no QueryTimeout)"
        lines.append(f"     a 202 answer is followed by GET <Location: task-status URL> every "
                     f"{POLL_FIRST_S:g}-{POLL_MAX_S:g} s until the merge is done (within {limit})")
    lines.append(f"Scope: {procedure.scope} (API and access tokens: {', '.join(procedure.token_scopes)})")
    if procedure.tables:
        lines.append(f"Changes what these tables read: {', '.join(procedure.tables)} (afterwards cached results, "
                     f"and cached listings of {bound.arguments.get('workspace')}/{bound.arguments.get('repository')}, "
                     f"are dropped)")
    lines.append(f"Result: one row ({', '.join(c.name for c in procedure.result_columns)})")
    if dry_run and getattr(engine.settings, "read_only", False):
        lines.append("Note: the connection is read-only (ReadOnly=true): running this CALL would be refused.")
    if dry_run:
        lines.append("Note: Bitbucket has no transactions; run the CALL without EXPLAIN to apply it at once.")
    return QueryResult([ResultColumn("plan", "VARCHAR")], [(line,) for line in lines],
                       QueryStats(rows_returned=len(lines)))


# --------------------------------------------------------------------------- the engine's entry points


def execute_call(engine: Engine, call: CallStatement, *, analyze: bool = False) -> QueryResult:
    """Run (or, for EXPLAIN, describe) a parsed CALL."""
    bound = bind_call(call, engine.default_schema)
    if call.explain == "explain" and not analyze:
        return explain_call(engine, bound)
    if call.explain == "analyze" or analyze:
        result = run_call(engine, bound)
        lines = [row[0] for row in explain_call(engine, bound, dry_run=False).rows]
        lines.append(f"Actual: {result.stats.requests} request(s) in {result.stats.elapsed_s:.2f} s; result: "
                     + ", ".join(f"{c.name}={v!r}" for c, v in zip(result.columns, result.rows[0], strict=True)))
        return QueryResult([ResultColumn("plan", "VARCHAR")], [(line,) for line in lines], result.stats)
    return run_call(engine, bound)


def describe_call(call: CallStatement) -> list[ResultColumn]:
    """The result columns of a CALL without running it (no request)."""
    if call.explain != "none":
        return [ResultColumn("plan", "VARCHAR")]
    procedure = get_procedure(call.name)
    return [ResultColumn(c.name, duckdb_type(c.type)) for c in procedure.result_columns]

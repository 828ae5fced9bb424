"""One write statement (or an ``executemany`` batch of them) from parsed SQL to rows affected.

1. refuse at once what cannot be sent: ReadOnly=true, a table or operation the API lacks, unknown,
   read-only or missing columns (:class:`.requests.WritePlanner`);
2. find the rows: INSERT evaluates its VALUES or SELECT, UPDATE/DELETE read their targets with a
   SELECT over the same table and WHERE, planned and pushed down like any query (read fresh:
   no cached result or scan decides what is changed, and MaxRows does not cap it);
3. turn every row into its request, checking each value's type, and check MaxFanout: up to here
   no write has been sent, and EXPLAIN stops here and shows the requests;
4. send them concurrently (:mod:`.send`), drop the cached results and scans the write touched,
   and answer rows affected plus the RETURNING rows, or raise :class:`PartialWriteError`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from bitbucket_sql.api.errors import BitbucketError
from bitbucket_sql.catalog.model import TOKEN_SCOPES, TableDef, WriteOp

from ..errors import EngineError, NoWorkspaceError, RemovedTableError
from ..result import QueryResult, QueryStats, ResultColumn
from ..statements import DIALECT
from .errors import (
    PartialWriteError,
    ReadOnlyConnectionError,
    RowOutcome,
    WriteError,
    WriteFanoutError,
    WriteNotSupportedError,
)
from .parse import WriteStatement
from .requests import WritePlanner, WriteRequest
from .returning import returning_rows
from .send import Outcome, missing_scope, reason, scope_error, send_all

if TYPE_CHECKING:
    from ..engine import Engine

#: Prefix of the columns the target-finding SELECT adds (current values, new values).
_NEW = "bbsql_new_"


def run_writes(engine: Engine, statements: Sequence[WriteStatement]) -> QueryResult:
    """Run one write, or a batch of the same statement with different parameters, as one concurrent send."""
    started = time.monotonic()
    first = statements[0]
    if engine.settings.read_only and first.explain == "none":
        raise ReadOnlyConnectionError(first.verb)
    table = engine.table(first.table)
    if table.removed:
        raise RemovedTableError(table.name, table.removed)
    op = table.write_op(first.kind)
    if op is None:
        raise WriteNotSupportedError(table.name, first.verb, table.operations)
    planner = WritePlanner(table, op, first.kind)
    workspace = first.schema or engine.default_schema
    if workspace is None and table.scope != "global":
        raise NoWorkspaceError(table.name)
    with engine.client.recording() as recording:
        requests: list[WriteRequest] = []
        reads: list[str] = []
        for statement in _merged_values(statements):
            built, read_sql = _requests_for(engine, statement, table, planner, workspace)
            requests.extend(built)
            if read_sql is not None:
                reads.append(read_sql)
        if first.returning:
            returning_rows(table, first, [])  # a RETURNING list that cannot be read is refused before any write
        if first.explain != "none":
            from .explain import explain_write

            lines = explain_write(engine, first, table, op, requests, reads)
            stats = QueryStats(requests=recording.requests, rows_returned=len(lines),
                               elapsed_s=time.monotonic() - started)
            return QueryResult([ResultColumn("plan", "VARCHAR")], [(line,) for line in lines], stats)
        if len(requests) > engine.settings.max_fanout:
            raise WriteFanoutError(table.name, first.verb, len(requests), engine.settings.max_fanout)
        outcomes = send_all(engine.client, requests, engine.settings.max_concurrency)
        engine.forget_cached(workspace, [outcome.request.path for outcome in outcomes if outcome.status != "not attempted"])
        _raise_for_failures(first, table, op, outcomes)
    written = [outcome for outcome in outcomes if outcome.status == "written"]
    columns: list[ResultColumn] = []
    rows: list[tuple[Any, ...]] = []
    if first.returning:
        try:
            columns, rows = returning_rows(table, first, written)
        except EngineError as error:  # the rows are written: say so, never only that RETURNING failed
            raise WriteError(
                f"The {first.verb} on table {table.name!r} wrote {len(written)} row(s), which stay written, but its "
                f"RETURNING list failed: {str(error).rstrip('.')}. Read the rows with a SELECT instead."
            ) from error
    stats = QueryStats(requests=recording.requests, retries=recording.retries, bytes=recording.bytes,
                       rows_returned=len(rows), elapsed_s=time.monotonic() - started)
    return QueryResult(columns, rows, stats, affected_rows=len(written))


def _merged_values(statements: Sequence[WriteStatement]) -> Sequence[WriteStatement]:
    """An ``executemany`` of ``INSERT ... VALUES``: one statement whose VALUES hold every parameter
    set's rows, so DuckDB evaluates them once instead of once per set (same rows, same order)."""
    if len(statements) < 2 or not all(
        s.kind == "insert" and isinstance(s.source, exp.Values) and s.columns == statements[0].columns
        for s in statements
    ):
        return statements
    rows = [row.copy() for statement in statements for row in statement.source.expressions]
    return [replace(statements[0], source=exp.Values(expressions=rows))]


def _requests_for(
    engine: Engine, statement: WriteStatement, table: TableDef, planner: WritePlanner, workspace: str | None
) -> tuple[list[WriteRequest], str | None]:
    """The requests of one statement, and the SQL of the read that found its rows (None for VALUES)."""
    defaults: dict[str, Any] = {"workspace": workspace}
    if "repository" in planner.path_columns and engine.settings.repository and workspace == engine.default_schema:
        defaults["repository"] = engine.settings.repository
    if statement.kind == "insert":
        planner.check_insert_columns(statement.columns, defaults)
        assert statement.source is not None
        source_sql = statement.source.sql(dialect=DIALECT)
        result = engine.read_for_write(source_sql)
        if result.columns and len(result.columns) != len(statement.columns):
            from .errors import WriteValidationError

            raise WriteValidationError(
                table.name, None, f"{len(statement.columns)} column(s) are named but the rows have "
                f"{len(result.columns)} value(s) each; give one value per named column.")
        requests = [planner.insert_request({**defaults, **dict(zip(statement.columns, row, strict=True))})
                    for row in result.rows]
        is_values = isinstance(statement.source, exp.Values)
        return requests, None if is_values else source_sql
    changes = [name for name, _ in statement.assignments]
    # ``SET state = 'MERGED'`` runs a procedure (engine/procedures.py); lazy import: it imports writes
    from ..procedure_update import procedure_for_update, procedure_request, transition_columns

    actions = transition_columns(table.name) & set(changes) if statement.kind == "update" else set()
    planner.check_update_columns([name for name in changes if name not in actions])
    select_sql = _target_select(statement, table, planner, workspace, sorted(actions))
    result = engine.read_for_write(select_sql)
    names = [column.name for column in result.columns]
    requests = []
    for row in result.rows:
        values = dict(zip(names, row, strict=True))
        current = {name: value for name, value in values.items() if not name.startswith(_NEW)}
        if statement.kind == "delete":
            requests.append(planner.delete_request(current))
        else:
            new = {name.removeprefix(_NEW): value for name, value in values.items() if name.startswith(_NEW)}
            if actions:
                call, new = procedure_for_update(table.name, new, current)
                if call is not None:
                    method, path, body = procedure_request(call, workspace)
                    identity = ", ".join(f"{k}={current.get(k)}" for k in planner.path_columns if k != "workspace")
                    requests.append(WriteRequest(method, path, body, identity, (), {k: current.get(k) for k in
                                                 planner.path_columns}, current))
                if call is not None or not new:
                    continue
            requests.append(planner.update_request(current, new))
    return requests, select_sql


def _target_select(statement: WriteStatement, table: TableDef, planner: WritePlanner, workspace: str | None,
                   extra: Sequence[str] = ()) -> str:
    """``SELECT <keys, current values> , <new values> FROM table WHERE ...``: the rows to change."""
    reference = statement.reference
    wanted = list(dict.fromkeys([*planner.path_columns, *extra, *(f.column for f in planner.op.fields
                                                         if table.column(f.column) is not None
                                                         and (planner.op.full_body or statement.returning))]))
    projections: list[Any] = []  # sqlglot nodes
    if statement.returning:
        projections.append(exp.Column(this=exp.Star(), table=exp.to_identifier(reference)))
    else:
        projections += [exp.column(name, table=reference, quoted=True) for name in wanted]
    for name, value in statement.assignments:
        projections.append(exp.alias_(value.copy(), _NEW + name, quoted=True))
    source = exp.Table(this=exp.to_identifier(table.name),
                       db=exp.to_identifier(workspace) if workspace else None,
                       alias=exp.TableAlias(this=exp.to_identifier(statement.alias)) if statement.alias else None)
    select = exp.Select(expressions=projections).from_(source)
    if statement.where is not None:
        select = select.where(statement.where.copy())
    return select.sql(dialect=DIALECT)


def _lacks(outcome: Outcome, op: WriteOp, scope: str) -> bool:
    """Whether ``outcome`` failed because the credential lacks ``scope``."""
    error = outcome.error
    return outcome.status == "failed" and isinstance(error, BitbucketError) and missing_scope(error, op.scope) == scope


def _raise_for_failures(statement: WriteStatement, table: TableDef, op: WriteOp, outcomes: list[Outcome]) -> None:
    problems = [outcome for outcome in outcomes if outcome.status in ("failed", "uncertain")]
    if not problems:
        return
    secrets = [secret for outcome in outcomes for secret in outcome.request.secret_values()]
    first = problems[0]
    written = [o for o in outcomes if o.status == "written"]
    if not written and first.status == "failed" and isinstance(first.error, BitbucketError):
        # nothing written, and every row refused for the same missing scope: that scope is the
        # answer (one row or many), not a row-by-row report of the same 403
        scope = missing_scope(first.error, op.scope)
        if scope is not None and all(_lacks(outcome, op, scope) for outcome in problems):
            tokens = op.api_token_scopes if scope == op.scope else TOKEN_SCOPES.get(scope, ())
            raise scope_error(first.error, scope, tokens, statement.verb, table.name) from None
        if len(outcomes) == 1:
            raise first.error
    def row(outcome: Outcome) -> RowOutcome:
        error = reason(outcome.error, secrets) if outcome.error is not None else None
        return RowOutcome(outcome.request.identity, outcome.request.line, error)

    raise PartialWriteError(
        table.name, statement.verb,
        written=[row(o) for o in written],
        failed=[row(o) for o in outcomes if o.status == "failed"],
        not_attempted=[row(o) for o in outcomes if o.status == "not attempted"],
        uncertain=[row(o) for o in outcomes if o.status == "uncertain"],
    )

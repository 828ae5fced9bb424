"""The natural UPDATE: ``UPDATE pull_requests SET state = 'MERGED'`` runs the action that means it.

Bitbucket changes a pull request's state only through actions (merge, decline), never through
the update endpoint. Where the meaning is unambiguous the engine's UPDATE path asks
:func:`procedure_for_update` for each target row which procedure to run instead, and
:func:`procedure_request` for its one request, validated exactly as ``CALL`` validates it.
Every other transition is refused before any write, naming the ones that exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .procedures import ProcedureArgumentError, bind_values, get_procedure


@dataclass(frozen=True)
class ProcedureCall:
    """A procedure to run for a natural UPDATE: its name and its arguments by name."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


#: (table, column) -> new value -> procedure. Every other value of the column is refused.
STATE_TRANSITIONS: dict[tuple[str, str], dict[str, str]] = {
    ("pull_requests", "state"): {"MERGED": "merge_pull_request", "DECLINED": "decline_pull_request"},
}
#: Columns that may be SET together with the state and become arguments of its procedure.
_EXTRA_ARGUMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "merge_pull_request": {"close_source_branch": ("close_source_branch",)},
}
_OPEN_STATES: dict[tuple[str, str], tuple[str, ...]] = {
    ("pull_requests", "state"): ("OPEN",),
}


def procedure_for_update(
    table: str, assignments: Mapping[str, Any], row: Mapping[str, Any]
) -> tuple[ProcedureCall | None, dict[str, Any]]:
    """The action a natural UPDATE of one row stands for, and the assignments left for a plain update.

    ``UPDATE pull_requests SET state = 'MERGED'`` merges (default strategy, or ``close_source_branch``
    when SET too), ``SET state = 'DECLINED'`` declines. ``row`` is the target row as read (column -> value). Returns
    ``(None, assignments)`` when no state column is assigned, or when the row already has that
    state (nothing to do). Refuses, naming the values that work, every other transition: the API
    cannot reopen a pull request, nor set other states directly.
    """
    lowered = {name.lower(): value for name, value in assignments.items()}
    for (table_name, column), targets in STATE_TRANSITIONS.items():
        if table_name != table.lower() or column not in lowered:
            continue
        wanted = lowered[column]
        current = row.get(column)
        rest = {name: value for name, value in lowered.items() if name != column}
        if isinstance(wanted, str) and isinstance(current, str) and wanted.upper() == current.upper():
            return None, rest
        procedure = targets.get(wanted.upper()) if isinstance(wanted, str) else None
        if procedure is None:
            raise ProcedureArgumentError(
                "", column,
                f"UPDATE {table_name} SET {column} = {wanted!r} has no Bitbucket action: the values that work are "
                f"{' and '.join(repr(v) for v in targets)} ({', '.join(f'{v} -> CALL {p}' for v, p in targets.items())}). "
                + "Bitbucket's API cannot reopen a merged or declined pull request, nor set other states.",
            )
        allowed = _OPEN_STATES[(table_name, column)]
        if allowed and current is not None and current not in allowed:
            raise ProcedureArgumentError(
                procedure, column,
                f"UPDATE {table_name} SET {column} = {wanted!r}: the row with id {row.get('id')} is {current}; only "
                f"{' or '.join(allowed)} rows can change {column}. Narrow the WHERE clause to "
                f"{column} IN ({', '.join(repr(a) for a in allowed)}).",
            )
        extra = _EXTRA_ARGUMENTS.get(procedure, {})
        arguments = _keys_of(table_name, row)
        for name in list(rest):
            if name in extra:
                for parameter in extra[name]:
                    arguments[parameter] = rest.pop(name)
        if rest:
            raise ProcedureArgumentError(
                procedure, None,
                f"UPDATE {table_name} SET {column} = {wanted!r} runs CALL {procedure}, which cannot also change "
                f"{', '.join(sorted(rest))}. Update those columns in a separate UPDATE first.",
            )
        return ProcedureCall(procedure, arguments), rest
    return None, dict(lowered)


def _keys_of(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    return {"workspace": row.get("workspace"), "repository": row.get("repository"), "pull_request_id": row.get("id")}


def transition_columns(table: str) -> set[str]:
    """The columns of ``table`` whose UPDATE runs a procedure (``state`` of ``pull_requests``)."""
    return {column for (table_name, column) in STATE_TRANSITIONS if table_name == table.lower()}


def procedure_request(call: ProcedureCall, default_schema: str | None) -> tuple[str, str, dict[str, Any] | None]:
    """(method, path, body) of the one request a natural UPDATE's procedure sends, validated as a CALL.

    For the UPDATE path, which sends it with its other writes: a merge Bitbucket answers with 202
    counts as written (accepted); ``CALL merge_pull_request`` waits for such a merge instead.
    """
    procedure = get_procedure(call.name)
    bound = bind_values(procedure, call.arguments, default_schema)
    return procedure.method, bound.path, bound.body if procedure.sends_body else None

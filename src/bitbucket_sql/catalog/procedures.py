"""Declarative procedures: the Bitbucket actions that are not rows (merge, approve, stop a pipeline).

Writes that create, change or remove a row are INSERT/UPDATE/DELETE on the tables; what is left
are *actions* on an object (merge a pull request, approve a commit, stop a pipeline). Each is one
:class:`ProcedureDef` here, called with ``CALL name(...)``: its parameters (SQL types, required or
defaulted), the one request it sends (method, path template, where each parameter goes) and the
result columns read from the API's answer. The engine (``engine/procedures.py``) validates the
arguments, fills the template with :func:`~bitbucket_sql.catalog.templates.fill`, sends the
request and turns the answer into one row; nothing in it is specific to one procedure.

Every declaration was checked against the official spec
(``shared/reference/bitbucket-cloud-swagger.json``): method, path, request body, status codes,
response schema and the scopes (classic OAuth ``security`` and the API-token scopes of
``x-atlassian-oauth2-scopes``), which a 403 error names; ``tests/engine/procedures`` checks them
against the spec again.

What the API does *not* offer, so there is no procedure for it: reopening a declined pull request,
re-running a pipeline in place (``rerun_pipeline`` starts a new run of the same target instead),
and watching or unwatching a repository (the API only lists watchers).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from .model import Column, SqlType

#: Where an argument goes in the request.
Location = Literal["path", "body", "query"]


@dataclass(frozen=True)
class ProcedureParam:
    """One input parameter.

    ``location`` says where the value goes: a ``{name}`` placeholder of the path, a field of the
    JSON body (``field``, dotted for nesting, default the parameter's name) or a query parameter
    (``field`` names it). ``default`` is the value used when the argument is omitted (None: the
    field is not sent at all, so the API applies its own default, which the description states).
    ``choices`` are the only values the API accepts (checked before any request).
    ``from_schema`` marks ``workspace``: the connection's Workspace (the default schema) fills
    it when omitted.
    """

    name: str
    type: SqlType
    description: str
    location: Location = "path"
    required: bool = False
    default: Any = None
    field: str | None = None
    choices: tuple[str, ...] = ()
    from_schema: bool = False

    @property
    def api_field(self) -> str:
        return self.field or self.name


@dataclass(frozen=True)
class Lookup:
    """A GET sent before the action whose answer supplies body fields (``rerun_pipeline`` reads the
    pipeline to start a new run of its target). ``body`` maps body field -> dotted path into the
    answer; the value is sent back as read, without nulls and with embedded objects that carry a
    ``hash`` (commits) reduced to their ``type`` and ``hash``: links are not the API's input."""

    path: str
    body: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ProcedureDef:
    """One action: ``CALL name(params...)`` sends ``method path`` and returns one row.

    ``result`` columns read the API's answer (a :class:`~.model.Column` each, ``path`` dotted
    into the JSON). A procedure whose success is ``204 No Content`` has no answer to read: its
    row is ``success``/``message`` (see :data:`NO_CONTENT_RESULT`). ``fixed_body`` is merged into
    every body (the merge parameters' required ``type``). ``scope`` is the classic OAuth scope the
    spec lists and ``token_scopes`` the scopes of API and access tokens, both named in the error
    when the credential lacks them; ``tables`` are the tables whose
    cached rows the action changes. ``async_task`` marks the merge, whose 202 answer carries a
    task-status URL in ``Location`` to poll until the merge is done.
    """

    name: str
    description: str
    method: Literal["POST", "PUT", "DELETE"]
    path: str
    params: tuple[ProcedureParam, ...]
    result: tuple[Column, ...]
    scope: str
    token_scopes: tuple[str, ...]
    tables: tuple[str, ...]
    fixed_body: tuple[tuple[str, Any], ...] = ()
    lookup: Lookup | None = None
    async_task: bool = False
    no_content: bool = False
    done: str = ""  # the message of a no-content success, formatted with the arguments

    def param(self, name: str) -> ProcedureParam | None:
        lowered = name.lower()
        return next((p for p in self.params if p.name == lowered), None)

    @property
    def result_columns(self) -> tuple[Column, ...]:
        return NO_CONTENT_RESULT if self.no_content else self.result

    @property
    def sends_body(self) -> bool:
        return self.method != "DELETE" and (
            any(p.location == "body" for p in self.params) or bool(self.fixed_body) or self.lookup is not None
        )


def _result(name: str, sql_type: SqlType, path: str, description: str) -> Column:
    return Column(name=name, type=sql_type, path=path, description=description)


NO_CONTENT_RESULT: tuple[Column, ...] = (
    _result("success", "BOOLEAN", "success", "TRUE: Bitbucket accepted the action (204 No Content)."),
    _result("message", "VARCHAR", "message", "What was done, in words."),
)

# --------------------------------------------------------------------------- parameters


WORKSPACE = ProcedureParam(
    "workspace", "VARCHAR", "Workspace slug; the connection's Workspace when omitted.",
    required=True, from_schema=True,
)
REPOSITORY = ProcedureParam("repository", "VARCHAR", "Repository slug.", required=True)
PULL_REQUEST_ID = ProcedureParam("pull_request_id", "BIGINT", "Id of the pull request.", required=True)
PULL_REQUEST_KEYS = (WORKSPACE, REPOSITORY, PULL_REQUEST_ID)

_REPO = "/repositories/{workspace}/{repository}"
_PR = _REPO + "/pullrequests/{pull_request_id}"

MERGE_STRATEGIES = (
    "merge_commit", "squash", "fast_forward", "squash_fast_forward", "rebase_fast_forward", "rebase_merge",
)

# --------------------------------------------------------------------------- result columns


def _user(prefix: str, path: str, who: str) -> tuple[Column, ...]:
    return (
        _result(f"{prefix}_display_name", "VARCHAR", f"{path}.display_name", f"Display name of {who}."),
        _result(f"{prefix}_uuid", "VARCHAR", f"{path}.uuid", f"UUID of {who}."),
        _result(f"{prefix}_account_id", "VARCHAR", f"{path}.account_id", f"Atlassian account id of {who}."),
    )


PULL_REQUEST_RESULT: tuple[Column, ...] = (
    _result("id", "BIGINT", "id", "Id of the pull request."),
    _result("title", "VARCHAR", "title", "Title."),
    _result("state", "VARCHAR", "state", "State after the action: MERGED or DECLINED."),
    _result("merge_commit_hash", "VARCHAR", "merge_commit.hash", "Hash of the merge commit (merged only)."),
    *_user("closed_by", "closed_by", "the user who merged or declined it"),
    _result("close_source_branch", "BOOLEAN", "close_source_branch", "Whether the source branch was deleted."),
    _result("source_branch_name", "VARCHAR", "source.branch.name", "Branch the changes came from."),
    _result("destination_branch_name", "VARCHAR", "destination.branch.name", "Branch the changes went into."),
    _result("reason", "VARCHAR", "reason", "Reason given when it was declined."),
    _result("updated_on", "TIMESTAMPTZ", "updated_on", "When it last changed (UTC)."),
    _result("html_url", "VARCHAR", "links.html.href", "Web page of the pull request."),
)

PARTICIPANT_RESULT: tuple[Column, ...] = (
    *_user("user", "user", "the participant (the credential's user)"),
    _result("role", "VARCHAR", "role", "PARTICIPANT or REVIEWER."),
    _result("approved", "BOOLEAN", "approved", "Whether the participant approves."),
    _result("state", "VARCHAR", "state", "approved, changes_requested or NULL."),
    _result("participated_on", "TIMESTAMPTZ", "participated_on", "When the participant acted (UTC)."),
)

PIPELINE_RESULT: tuple[Column, ...] = (
    _result("uuid", "VARCHAR", "uuid", "UUID (with braces) of the new pipeline run."),
    _result("build_number", "BIGINT", "build_number", "Build number of the new run."),
    _result("state_name", "VARCHAR", "state.name", "State of the new run (PENDING at first)."),
    _result("target_ref_type", "VARCHAR", "target.ref_type", "Kind of ref built: branch or tag."),
    _result("target_ref_name", "VARCHAR", "target.ref_name", "Name of the branch or tag built."),
    _result("target_commit_hash", "VARCHAR", "target.commit.hash", "Commit built."),
    _result("target_selector_type", "VARCHAR", "target.selector.type", "Kind of pipeline definition run."),
    _result("target_selector_pattern", "VARCHAR", "target.selector.pattern", "Pipeline definition run."),
    _result("created_on", "TIMESTAMPTZ", "created_on", "When the new run was created (UTC)."),
)

RESOLUTION_RESULT: tuple[Column, ...] = (
    *_user("user", "user", "the user who resolved the thread"),
    _result("created_on", "TIMESTAMPTZ", "created_on", "When the thread was resolved (UTC)."),
)

# --------------------------------------------------------------------------- the procedures

PROCEDURES: tuple[ProcedureDef, ...] = (
    ProcedureDef(
        name="merge_pull_request",
        description=(
            "Merges an open pull request (POST .../pullrequests/{id}/merge). When Bitbucket answers 202 "
            "(a merge that takes long, or async_merge => TRUE) the task status is polled until the merge is "
            "done, within QueryTimeout. Returns the merged pull request."
        ),
        method="POST",
        path=_PR + "/merge",
        params=(
            *PULL_REQUEST_KEYS,
            ProcedureParam(
                "merge_strategy", "VARCHAR",
                "merge_commit, squash, fast_forward, squash_fast_forward, rebase_fast_forward or rebase_merge; "
                "Bitbucket uses merge_commit when omitted.",
                location="body", choices=MERGE_STRATEGIES,
            ),
            ProcedureParam(
                "message", "VARCHAR", "Commit message of the merge commit (Bitbucket writes one when omitted).",
                location="body",
            ),
            ProcedureParam(
                "close_source_branch", "BOOLEAN",
                "Delete the source branch after merging; when omitted, the pull request's own setting.",
                location="body",
            ),
            ProcedureParam(
                "async_merge", "BOOLEAN",
                "Ask Bitbucket to merge in the background (async=true); the call still waits for the result.",
                location="query", field="async", default=None,
            ),
        ),
        result=PULL_REQUEST_RESULT,
        scope="pullrequest:write",
        token_scopes=("read:pullrequest:bitbucket", "write:pullrequest:bitbucket"),
        tables=("pull_requests", "pull_request_activity", "pull_request_commits", "branches", "refs", "commits",
                "branch_commits"),
        fixed_body=(("type", "pullrequest_merge_parameters"),),
        async_task=True,
    ),
    ProcedureDef(
        name="decline_pull_request",
        description=(
            "Declines an open pull request (POST .../pullrequests/{id}/decline). Bitbucket's API cannot reopen "
            "a declined pull request: create a new one from the same branch instead."
        ),
        method="POST",
        path=_PR + "/decline",
        params=PULL_REQUEST_KEYS,
        result=PULL_REQUEST_RESULT,
        scope="pullrequest:write",
        token_scopes=("read:pullrequest:bitbucket", "write:pullrequest:bitbucket"),
        tables=("pull_requests", "pull_request_activity"),
    ),
    ProcedureDef(
        name="approve_pull_request",
        description="Approves a pull request as the credential's user (POST .../approve). Returns the participant.",
        method="POST",
        path=_PR + "/approve",
        params=PULL_REQUEST_KEYS,
        result=PARTICIPANT_RESULT,
        scope="pullrequest:write",
        token_scopes=("read:pullrequest:bitbucket", "write:pullrequest:bitbucket"),
        tables=("pull_requests", "pull_request_activity"),
    ),
    ProcedureDef(
        name="unapprove_pull_request",
        description="Withdraws the credential's user's approval of a pull request (DELETE .../approve).",
        method="DELETE",
        path=_PR + "/approve",
        params=PULL_REQUEST_KEYS,
        result=(),
        scope="pullrequest:write",
        token_scopes=("write:pullrequest:bitbucket",),
        tables=("pull_requests", "pull_request_activity"),
        no_content=True,
        done="Approval of pull request {pull_request_id} in {workspace}/{repository} withdrawn.",
    ),
    ProcedureDef(
        name="request_changes_pull_request",
        description=(
            "Requests changes on a pull request as the credential's user (POST .../request-changes). "
            "Returns the participant."
        ),
        method="POST",
        path=_PR + "/request-changes",
        params=PULL_REQUEST_KEYS,
        result=PARTICIPANT_RESULT,
        scope="pullrequest:write",
        token_scopes=("read:pullrequest:bitbucket", "write:pullrequest:bitbucket"),
        tables=("pull_requests", "pull_request_activity"),
    ),
    ProcedureDef(
        name="remove_change_request_pull_request",
        description="Withdraws the credential's user's request for changes (DELETE .../request-changes).",
        method="DELETE",
        path=_PR + "/request-changes",
        params=PULL_REQUEST_KEYS,
        result=(),
        scope="pullrequest:write",
        token_scopes=("write:pullrequest:bitbucket",),
        tables=("pull_requests", "pull_request_activity"),
        no_content=True,
        done="Request for changes on pull request {pull_request_id} in {workspace}/{repository} withdrawn.",
    ),
    ProcedureDef(
        name="resolve_pull_request_comment",
        description=(
            "Resolves the thread of a top-level pull request comment (POST .../comments/{id}/resolve). "
            "Returns the resolution."
        ),
        method="POST",
        path=_PR + "/comments/{comment_id}/resolve",
        params=(*PULL_REQUEST_KEYS,
                ProcedureParam("comment_id", "BIGINT", "Id of the top-level comment.", required=True)),
        result=RESOLUTION_RESULT,
        scope="pullrequest",
        token_scopes=("read:pullrequest:bitbucket",),
        tables=("pull_request_comments", "pull_request_activity"),
    ),
    ProcedureDef(
        name="reopen_pull_request_comment",
        description="Reopens a resolved comment thread (DELETE .../comments/{id}/resolve).",
        method="DELETE",
        path=_PR + "/comments/{comment_id}/resolve",
        params=(*PULL_REQUEST_KEYS,
                ProcedureParam("comment_id", "BIGINT", "Id of the top-level comment.", required=True)),
        result=(),
        scope="pullrequest",
        token_scopes=("read:pullrequest:bitbucket",),
        tables=("pull_request_comments", "pull_request_activity"),
        no_content=True,
        done="Comment thread {comment_id} on pull request {pull_request_id} in {workspace}/{repository} reopened.",
    ),
    ProcedureDef(
        name="approve_commit",
        description="Approves a commit as the credential's user (POST .../commit/{commit}/approve).",
        method="POST",
        path=_REPO + "/commit/{commit}/approve",
        params=(WORKSPACE, REPOSITORY,
                ProcedureParam("commit", "VARCHAR", "Hash of the commit (full or abbreviated).", required=True)),
        result=PARTICIPANT_RESULT,
        scope="repository:write",
        token_scopes=("read:repository:bitbucket", "write:repository:bitbucket"),
        tables=("commits", "branch_commits", "pull_request_commits"),
    ),
    ProcedureDef(
        name="unapprove_commit",
        description="Withdraws the credential's user's approval of a commit (DELETE .../commit/{commit}/approve).",
        method="DELETE",
        path=_REPO + "/commit/{commit}/approve",
        params=(WORKSPACE, REPOSITORY,
                ProcedureParam("commit", "VARCHAR", "Hash of the commit (full or abbreviated).", required=True)),
        result=(),
        scope="repository:write",
        token_scopes=("write:repository:bitbucket",),
        tables=("commits", "branch_commits", "pull_request_commits"),
        no_content=True,
        done="Approval of commit {commit} in {workspace}/{repository} withdrawn.",
    ),
    ProcedureDef(
        name="stop_pipeline",
        description=(
            "Stops a pipeline run and its unfinished steps (POST .../pipelines/{uuid}/stopPipeline). "
            "Bitbucket answers 400 for a run that has already completed."
        ),
        method="POST",
        path=_REPO + "/pipelines/{pipeline_uuid}/stopPipeline",
        params=(WORKSPACE, REPOSITORY,
                ProcedureParam("pipeline_uuid", "VARCHAR", "UUID of the pipeline run, with braces.", required=True)),
        result=(),
        scope="pipeline:write",
        token_scopes=("write:pipeline:bitbucket",),
        tables=("pipelines", "pipeline_steps"),
        no_content=True,
        done="Pipeline {pipeline_uuid} in {workspace}/{repository} signalled to stop.",
    ),
    ProcedureDef(
        name="rerun_pipeline",
        description=(
            "Runs a pipeline again. The API has no re-run endpoint, so this reads the run "
            "(GET .../pipelines/{uuid}) and starts a new run of the same target: the same branch or tag, "
            "commit and pipeline definition (POST .../pipelines). The new run gets a new UUID and build number; "
            "variables of the original run are not repeated (the API never returns them)."
        ),
        method="POST",
        path=_REPO + "/pipelines",
        params=(WORKSPACE, REPOSITORY,
                ProcedureParam("pipeline_uuid", "VARCHAR", "UUID of the run to repeat, with braces.", required=True)),
        result=PIPELINE_RESULT,
        scope="pipeline",
        token_scopes=("read:pipeline:bitbucket", "write:pipeline:bitbucket"),
        tables=("pipelines", "pipeline_steps"),
        lookup=Lookup(
            path=_REPO + "/pipelines/{pipeline_uuid}",
            body=(("target", "target"),),
        ),
    ),
    ProcedureDef(
        name="delete_pipeline_caches",
        description=(
            "Deletes every version of a repository's named pipeline cache "
            "(DELETE .../pipelines-config/caches?name=...), e.g. a stale dependency cache."
        ),
        method="DELETE",
        path=_REPO + "/pipelines-config/caches",
        params=(WORKSPACE, REPOSITORY,
                ProcedureParam("name", "VARCHAR", "Name of the cache (as in bitbucket-pipelines.yml).",
                               required=True, location="query")),
        result=(),
        scope="pipeline:write",
        token_scopes=("write:pipeline:bitbucket",),
        tables=(),
        no_content=True,
        done="Pipeline caches named {name!r} of {workspace}/{repository} deleted.",
    ),
)


@cache
def _by_name() -> dict[str, ProcedureDef]:
    found: dict[str, ProcedureDef] = {}
    for procedure in PROCEDURES:
        if procedure.name in found:
            raise ValueError(f"procedure {procedure.name!r} is declared twice")
        found[procedure.name] = procedure
    return found


def all_procedures() -> tuple[ProcedureDef, ...]:
    """Every procedure, in declaration order."""
    return tuple(_by_name().values())


def get_procedure(name: str) -> ProcedureDef | None:
    """The procedure called ``name`` (case-insensitive), or None."""
    return _by_name().get(name.lower())


def closest_procedures(name: str) -> list[str]:
    """Up to three declared names close to ``name``, for "did you mean" hints."""
    return difflib.get_close_matches(name.lower(), list(_by_name()), n=3, cutoff=0.5)

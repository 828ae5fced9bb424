"""Path keys the query names: their real values, and what a 404 on a scope means.

A scope's key values come from three places: the user (the schema is the workspace, literals
such as ``repository = 'api'``, the connection's Repository), the engine's own enumeration of
parents, and the rows of a joined reference. Each key of a scope has an *origin*: ``named`` (the
workspace, the connection's Repository, a literal of the query's inner part: its WHERE and inner
joins), ``joined`` (the user's named key of an inner-joined reference, copied over the join),
``literal`` (a literal where absence is the question: inside [NOT] EXISTS / IN subqueries or an
outer join's ON clause) or ``found`` (enumerated by the engine, or taken from joined rows). Two
rules follow from that.

**Key columns come from the API, not from the SQL text.** Bitbucket accepts a workspace's or
repository's ``{uuid}`` in place of its slug, so ``repository = '{…}'`` reaches the right
repository, but the ``repository`` column holds slugs (likewise a short commit hash reaches a
commit whose column holds the full hash). A named key value that is not in the form the API
returns (:data:`CANONICAL`) is looked up once (``GET /workspaces/x``, ``GET /repositories/w/x``,
``GET .../commit/abc``) and the API's value is what fills the column. A literal that turns out
to be another spelling can never equal the column, so its scope is dropped without a listing
(with a warning naming the value to write); the connection's Repository, which is not a
predicate, is simply replaced by its slug.

**A 404 says which key is missing.** When a scope answers 404, the objects of its leading
named keys (up to and including a joined one) are looked up, innermost first, until one exists
(each lookup once per query, none for parents a request of the query already reached): the
outermost missing one is a candidate error naming it. Named lists are alternatives, not pairs
that must all exist (``repository IN ('a', 'b') AND pull_request_id IN (1, 9)``): the error is
raised at the end of the scan only if that value matched in none of the scopes it was named for
(:meth:`KeyChecker.settle`). Otherwise a listing under parents the engine found (enumerated, or
joined from one parent row) checks those parents the same way: a missing one vanished while the
query ran, and its rows are skipped with a warning. Anything else is no rows, as SQL expects: a
sub-resource missing under existing parents, a GET by id, a key of a subquery or outer join, a
scope the engine composed from independent sources.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from bitbucket_sql.api.errors import NotFoundError
from bitbucket_sql.catalog import registry
from bitbucket_sql.catalog.columns import REPOSITORY_KEYS
from bitbucket_sql.catalog.model import PathKey, TableDef
from bitbucket_sql.catalog.templates import fill, identifier_problem

from .errors import EngineError, InvalidIdentifierError, KeyNotFoundError

Scope = dict[str, Any]

#: What a slug looks like; anything else named for a workspace or repository is resolved first.
_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]*")
#: key column -> the form the API returns it in; a named value of another form is looked up first
CANONICAL: dict[str, re.Pattern[str]] = {
    "repository": _SLUG,
    "commit_hash": re.compile(r"[0-9a-f]{40}"),
    "pipeline_uuid": re.compile(r"\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}"),
    "project_key": re.compile(r"[A-Z][A-Z0-9_]*"),
}
_FORMS = {"repository": "slugs", "commit_hash": "full hashes", "pipeline_uuid": "braced UUIDs",
          "project_key": "keys as Bitbucket spells them"}
_HINTS = {
    "repository": " (to select by UUID, join repositories and filter on its uuid column)",
    "commit_hash": " (the full 40-character hash)",
}
WORKSPACE_PATH = "/workspaces/{workspace}"
#: key origins (see module doc): the user's claims, and the rest
NAMED, JOINED, LITERAL, FOUND = "named", "joined", "literal", "found"
#: key column -> how messages call it
_NOUNS = {"workspace": "workspace", "repository": "repository", "pull_request_id": "pull request",
          "project_key": "project", "pipeline_uuid": "pipeline", "branch": "branch", "commit_hash": "commit"}


def noun(column: str) -> str:
    return _NOUNS.get(column, column.replace("_", " "))


class KeyChecker:
    """Per query: the key values the user named, their canonical slugs, and 404 diagnosis."""

    def __init__(self, client: Any, warn: Callable[[str], None]) -> None:
        self.client = client
        self.warn = warn
        self._missing: dict[str, bool] = {}
        #: objects known to exist because a request under them succeeded in this query
        self._present: set[str] = set()
        self._objects: dict[tuple[str, Any], Any] = {}
        self._lock = threading.Lock()

    # --- named values -------------------------------------------------------------------------
    @staticmethod
    def typed(table: TableDef, column: str, values: Any) -> list[Any]:
        """The literal values of a key column that a value of its type can equal, sorted.

        ``pull_request_id IN (52.5)`` can match no BIGINT: SQL's answer is no rows, so no request
        is made for it (rather than asking for pull request 52.5 and calling it missing).
        """
        sql_type = getattr(table.column(column), "type", None)
        kept = []
        for value in values:
            if sql_type == "BIGINT" and not isinstance(value, int | str):
                try:
                    if value != int(value):
                        continue
                    value = int(value)
                except (TypeError, ValueError, OverflowError):
                    continue
            kept.append(value)
        return sorted(set(kept), key=repr)

    # --- canonical values ---------------------------------------------------------------------
    def workspace(self, workspace: str, label: str) -> str:
        """The slug of the workspace a schema names (one lookup when it is not a slug already)."""
        if _SLUG.fullmatch(workspace):
            return workspace
        path = fill(WORKSPACE_PATH, {"workspace": workspace})
        obj = self._lookup(path, {"fields": "slug"})
        if obj is None:
            raise self._not_found(label, "workspace", workspace, {"workspace": workspace})
        return self._field_of(obj, "slug", workspace, "workspace")

    def canonical(
        self, key: PathKey, scopes: list[Scope], label: str, default: str | None = None, *, claimed: bool = True
    ) -> list[Scope]:
        """Scopes whose named value of ``key`` is in the form the API returns (see module doc).

        A value not in :data:`CANONICAL` form (a ``{uuid}`` for a slug, a short commit hash, an
        unbraced UUID) is looked up once; the API's own value replaces ``default`` (the
        connection's Repository), and drops the scope of a SQL literal, which can never equal it.
        A value that cannot be or names no key is an error when ``claimed`` (the user's named
        key), else it matches no row and its scope is dropped.
        """
        shape = CANONICAL.get(key.column)
        if shape is None:
            return scopes
        kept: list[Scope] = []
        seen: set[tuple[Any, ...]] = set()
        for scope in scopes:
            value = scope.get(key.column)
            if not isinstance(value, str) or shape.fullmatch(value) or value in ("", ".", ".."):
                kept.append(scope)
                continue
            problem = identifier_problem(value) if key.column in ("repository", "project_key") else None
            if problem is not None and not claimed:
                continue  # copied from a filter on another column (r.slug = ' x1'): matches no row
            if problem is not None:  # no encoding makes 'api/refs/branches' a slug: say so, send nothing
                raise InvalidIdentifierError(
                    noun(key.column).capitalize(), value, f"(in {label})",
                    f"{problem}. Name one {noun(key.column)} per value, e.g. {key.column} = 'api'.",
                )
            path = _parent_path(key, scope)
            if path is None:
                kept.append(scope)
                continue
            field_name = _probe_field(key)
            obj = self._lookup(path, {"fields": f"{field_name},full_name" if key.column == "repository" else field_name})
            if obj is None:
                if claimed:
                    raise self._not_found(label, key.column, value, scope)
                continue
            actual = self._field_of(obj, field_name, value, key.column)
            if value == default or actual == value:
                scope = scope | {key.column: actual}
            else:
                self.warn(
                    f"{label}: {key.column} = {value!r} matches no row: Bitbucket knows {value!r} as "
                    f"{noun(key.column)} {actual!r}, and the {key.column} column holds "
                    f"{_FORMS.get(key.column, 'the form Bitbucket returns')}. Write "
                    f"{key.column} = {actual!r}{_HINTS.get(key.column, '')}."
                )
                continue
            identity = tuple(sorted(scope.items(), key=repr))
            if identity not in seen:
                seen.add(identity)
                kept.append(scope)
        return kept

    def _field_of(self, obj: Any, field_name: str, asked: str, column: str) -> str:
        """The API's own value of a looked-up object (a repository's slug, a commit's full hash)."""
        value = obj.get(field_name) if isinstance(obj, dict) else None
        if not value and field_name == "slug" and isinstance(obj, dict) and isinstance(obj.get("full_name"), str):
            value = obj["full_name"].rsplit("/", 1)[-1]
        if not isinstance(value, str) or not value:
            raise EngineError(
                f"Bitbucket answered for {noun(column)} {asked!r} without its {field_name}, so its rows cannot be "
                f"labelled with it. Give {column} as Bitbucket spells it ({field_name})."
            )
        return value

    # --- 404s -----------------------------------------------------------------------------------
    def not_found(
        self, table: TableDef, label: str, scope: Scope, *, listing: bool, origins: dict[str, str], composed: bool
    ) -> KeyNotFoundError | None:
        """What a 404 for ``scope`` of ``table`` means: a candidate error, a warning and no rows, or no rows.

        The leading keys the user claims (``origins``: named ones, and up to one joined one after
        them) are checked first (innermost first, each object once per query): the outermost
        missing one is returned, for :meth:`settle` to raise unless its value matched in another
        scope. A named value under a parent the engine found (``pull_request_id = 6`` in every
        repository) or a joined one may be missing: no rows. Otherwise, for a listing whose parents
        the engine found under one another (enumerated, or linked from one parent row), the
        innermost parent is checked: gone means it vanished mid-query (a warning). A GET by id, a
        key of a subquery or outer join, or a scope the engine *composed* from independent
        sources (a literal repository with pull request ids joined from rows of any repository),
        may simply not exist: no rows, silently.
        """
        keys = _scope_keys(table, scope)
        kinds = [NAMED if key.column == "workspace" else origins.get(key.column, FOUND) for key in keys]
        claimed = 0
        for kind in kinds:
            if kind not in (NAMED, JOINED):
                break
            claimed += 1
            if kind == JOINED:
                break  # what follows a key that came over a join is asked about it, not claimed
        prefix = keys[:claimed]
        missing = self._outermost_missing(prefix, scope)
        if missing is not None:
            return self._not_found(label, missing.column, scope[missing.column], scope)
        rest = keys[claimed:]
        if not listing or composed or not rest or any(kind != FOUND for kind in kinds[claimed:]):
            return None
        vanished = self._outermost_missing(rest, scope)
        if vanished is None:
            return None  # the parents exist: the listed resource itself is absent, no rows
        self.warn(
            f"{label}: skipped {noun(vanished.column)} {scope[vanished.column]!r}: Bitbucket answered 404 for it "
            f"although the query listed it moments earlier (deleted, renamed or made private while the query "
            f"ran); its rows are left out."
        )
        return None

    @staticmethod
    def settle(missed: list[tuple[Scope, KeyNotFoundError]], scopes: list[Scope]) -> None:
        """Raise the first candidate error whose value matched in none of the scopes it was named for.

        ``missed`` holds (scope, error) per 404 a claimed key explained, ``scopes`` every scope the
        scan asked for. ``repository IN ('x1', 'api') AND pull_request_id IN (11, 23)`` with no
        pull request 23 in x1: 23 matched in api, so (x1, 23) is no rows; 999 matching nowhere, or
        a repository that does not exist (named under the workspace alone), is an error. A scope
        not answered at all (an early stop) counts as a match: nothing proves the value missing.
        """
        failed = {id(scope) for scope, _ in missed}
        order = {id(scope): index for index, scope in enumerate(scopes)}
        for _, error in sorted(missed, key=lambda pair: order.get(id(pair[0]), len(order))):
            if not any(id(other) not in failed and other.get(error.key) == error.value for other in scopes):
                raise error

    def _outermost_missing(self, keys: list[PathKey], scope: Scope) -> PathKey | None:
        """Of ``keys`` (outermost first), the outermost whose object is missing, looking innermost first."""
        missing: PathKey | None = None
        for key in reversed(keys):  # innermost first: one lookup when every parent exists
            path = _parent_path(key, scope)
            if path is None:
                continue
            if path in self._present or self._lookup(path, {"fields": _probe_field(key)}) is not None:
                break
            missing = key
        return missing

    def seen(self, table: TableDef, scope: Scope) -> None:
        """A request for ``scope`` succeeded: every parent in it exists (no lookup needed on a 404)."""
        paths = [_parent_path(key, scope) for key in _scope_keys(table, scope)]
        with self._lock:
            self._present.update(path for path in paths if path is not None)

    def unaddressable(self, table: TableDef, label: str, scope: Scope, origins: dict[str, str]) -> None:
        """A scope value that cannot be a path segment ('' or '..'): an error when the user claimed it."""
        for key in _scope_keys(table, scope):
            value = scope[key.column]
            if origins.get(key.column) in (NAMED, JOINED) and str(value) in ("", ".", ".."):
                raise KeyNotFoundError(
                    label, key.column, value,
                    f"{noun(key.column).capitalize()} {value!r} cannot exist (no {noun(key.column)} is named "
                    f"empty or by a dot path)",
                    f"Check the value given for {key.column}.",
                )

    def _not_found(self, label: str, column: str, value: Any, scope: Scope) -> KeyNotFoundError:
        what = noun(column)
        if column == "workspace":
            detail = f"Workspace {value!r} was not found, or your credential cannot see it"
            advice = ("Check the schema (or the connection's Workspace); list the workspaces you can read with "
                      "SELECT SchemaName FROM sys_schemas.")
        else:
            inside = f" in workspace {scope.get('workspace')!r}" if column == "repository" else ""
            detail = f"{what.capitalize()} {_shown(value)} was not found{inside}, or your credential cannot see it"
            if column == "repository":
                advice = (f"Check the slug (slugs are lower case); list the repositories with "
                          f"SELECT slug FROM {scope.get('workspace')}.repositories.")
            elif column == "ref":
                detail = (f"Ref {_shown(value)} is not a branch, tag or commit of repository "
                          f"{scope.get('workspace')}/{scope.get('repository')}, or your credential cannot see it")
                advice = (f"Check the value given for ref; list the branches and tags with SELECT ref_type, name "
                          f"FROM {scope.get('workspace')}.refs WHERE repository = '{scope.get('repository')}' "
                          f"(a commit is named by its hash).")
            else:
                advice = f"Check the value given for {column}."
        return KeyNotFoundError(label, column, value, detail, advice)

    def _lookup(self, path: str, params: dict[str, str]) -> Any:
        """The object at ``path`` (None on 404), asked once per query; other errors propagate."""
        memo = (path, tuple(sorted(params.items())))
        with self._lock:
            if self._missing.get(path):
                return None
            if memo in self._objects:
                return self._objects[memo]
        try:
            obj = self.client.get(path, params)
        except NotFoundError:
            with self._lock:
                self._missing[path] = True
            return None
        found = obj if obj is not None else {}
        with self._lock:
            self._objects[memo] = found
        return found


def _shown(value: Any) -> str:
    """A key value as the user wrote it: strings quoted, numbers plain (never ``Decimal('5')``)."""
    return repr(value) if isinstance(value, str) else str(value)


def _scope_keys(table: TableDef, scope: Scope) -> list[PathKey]:
    """The table's keys present in ``scope``, outermost (workspace) first."""
    keys = [key for key in table.keys if key.column in scope]
    if "workspace" in scope and not any(key.column == "workspace" for key in keys):
        keys.insert(0, PathKey("workspace", "workspace"))
    return keys


def _probe_field(key: PathKey) -> str:
    return "slug" if key.column in ("workspace", "repository") else (key.source_column or key.column)


def _parent_path(key: PathKey, scope: Scope) -> str | None:
    """The path of the object a key value names (its source table's GET), or None if unknown."""
    value = scope[key.column]
    if key.column == "workspace":
        template, values = WORKSPACE_PATH, {"workspace": value}
    elif key.probe_path is not None:  # no GET by this column (a ref): the key's own probe
        template = key.probe_path
        columns = {k.placeholder: k.column for k in REPOSITORY_KEYS} | {key.placeholder: key.column}
        values = {name: scope.get(columns.get(name, name)) for name in re.findall(r"\{([a-z_][a-z0-9_]*)\}", template)}
        if any(v is None for v in values.values()):
            return None
    else:
        source = registry.get_table(key.source_table or "")
        if source is None or not source.get_path or source.get_key != (key.source_column,):
            return None
        by_placeholder = {k.placeholder: k.column for k in source.keys}
        values = {}
        for name in re.findall(r"\{([a-z_][a-z0-9_]*)\}", source.get_path):
            column = by_placeholder.get(name, name)
            values[name] = value if column == key.source_column else scope.get(column)
        if any(v is None for v in values.values()):
            return None
        template = source.get_path
    try:
        return fill(template, values)
    except (KeyError, ValueError):
        return None

"""Every paginated collection of the official spec is a table, or is excluded here with its reason.

A *paginated collection* is a GET whose 200 answer is one of the spec's ``paginated_*``
envelopes (76 paths in the 2026 spec). Each is covered by a catalog table (its ``path``,
``wide_path`` or ``user_listing``, placeholder names aside) or is listed in :data:`EXCLUDED`
with the reason it has no table. A new spec with a new collection fails here until someone
decides; an exclusion that a table now covers, or that the spec no longer has, fails too, so the
list stays true.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest

from _official_spec import official_spec
from bitbucket_sql.catalog.model import TableDef
from bitbucket_sql.catalog.registry import all_tables

PLACEHOLDER = re.compile(r"\{[^}]*\}")

DEPRECATED = "deprecated in the spec"
ISSUE_TRACKER = "the issue tracker was removed on 2026-08-20 (its endpoints answer 410)"

#: spec path -> why no table reads it
EXCLUDED: dict[str, str] = {
    # deprecated cross-workspace listings: each has a current, per-workspace form that is a table
    "/repositories": f"{DEPRECATED}; every public repository of Bitbucket, `repositories` lists a workspace's",
    "/snippets": f"{DEPRECATED}; `snippets` lists a workspace's",
    "/workspaces": f"{DEPRECATED}; `workspaces` reads /user/workspaces",
    "/user/permissions/repositories": f"{DEPRECATED}; `current_user_repository_permissions` reads "
    "/user/workspaces/{workspace}/permissions/repositories",
    "/user/permissions/workspaces": f"{DEPRECATED}; `workspaces` reads /user/workspaces (with the permission)",
    "/teams/{username}/pipelines_config/variables": f"{DEPRECATED}; teams are workspaces: "
    "`workspace_pipeline_variables`",
    # the removed issue tracker (its other collections are `removed` tables that explain the removal)
    "/repositories/{workspace}/{repo_slug}/issues/{issue_id}/attachments": f"{DEPRECATED}; {ISSUE_TRACKER}",
    "/repositories/{workspace}/{repo_slug}/issues/{issue_id}/changes": f"{DEPRECATED}; {ISSUE_TRACKER}",
    # not a collection of its own
    "/repositories/{workspace}/{repo_slug}/src": "not a collection of its own: a redirect to the root listing "
    "of the main branch, /src/{commit}/, which `files` reads (`ref = r.mainbranch_name`)",
    "/workspaces/{workspace}/permissions/repositories/{repo_slug}": "not a collection of its own: the rows of "
    "one repository in /workspaces/{workspace}/permissions/repositories, which `repository_permissions` reads",
    # current, but undocumented
    "/repositories/{workspace}/{repo_slug}/file-conflicts/{spec}": "current but undocumented: the spec gives "
    "only a title (no description, no parameters, no form of {spec}) and the API digest has no entry. It "
    "replaced diffstat's `merge` parameter (removed 2026-09-04), so {spec} is presumably a two-commit "
    "`source..destination`, which no table's column holds for the engine to enumerate (a pull request's two "
    "hashes are two columns); to add once its behaviour is recorded from live Bitbucket",
}


def shape(path: str) -> str:
    """The path with every placeholder blanked (tables may name placeholders after their columns)."""
    return PLACEHOLDER.sub("{}", path.rstrip("/"))


@cache
def collections() -> dict[str, dict[str, Any]]:
    """spec path -> its GET operation, for every GET answering a ``paginated_*`` envelope."""
    found = {}
    for path, operations in official_spec()["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        ref = operation.get("responses", {}).get("200", {}).get("schema", {}).get("$ref", "")
        if ref.rsplit("/", 1)[-1].startswith("paginated_"):
            found[path] = operation
    return found


def listing_paths(table: TableDef) -> list[str]:
    """The paths whose items become the table's rows."""
    paths = [table.path, table.wide_path, table.user_listing.path if table.user_listing else None]
    if table.path.endswith("/src/{commit}/"):  # the root listing: the spec's /src/{commit}/{path}, path empty
        paths.append(table.path + "{path}")
    return [path for path in paths if path]


@cache
def covering() -> dict[str, list[str]]:
    """path shape -> the tables that read it."""
    found: dict[str, list[str]] = {}
    for table in all_tables():
        for path in listing_paths(table):
            found.setdefault(shape(path), []).append(table.name)
    return found


def test_the_spec_has_the_collections_the_issue_counted() -> None:
    assert len(collections()) == 76


@pytest.mark.parametrize("path", sorted(collections()))
def test_every_collection_is_a_table_or_excluded_with_a_reason(path: str) -> None:
    tables = covering().get(shape(path), [])
    if path in EXCLUDED:
        assert not tables, f"{path} is excluded ({EXCLUDED[path]}) yet {tables} read it: drop the exclusion"
        return
    assert tables, f"{path} (a current collection) has no table: add one, or exclude it here with the reason"
    if not collections()[path].get("deprecated"):
        live = [table.name for table in all_tables() if table.name in tables and not table.removed]
        assert live, f"{path} is current, yet only removed tables ({tables}) read it"


def test_every_exclusion_is_a_collection_of_the_spec() -> None:
    assert set(EXCLUDED) <= set(collections()), sorted(set(EXCLUDED) - set(collections()))
    assert all(reason.strip() for reason in EXCLUDED.values())


def test_deprecated_collections_with_a_table_say_so_or_are_removed() -> None:
    """A table on a deprecated path (kept because Bitbucket still answers it) warns its users."""
    by_name = {table.name: table for table in all_tables()}
    for path, operation in collections().items():
        if not operation.get("deprecated") or path in EXCLUDED:
            continue
        for name in covering()[shape(path)]:
            table = by_name[name]
            assert table.removed or "deprecated" in table.notes, f"{name}: {path} is deprecated in the spec"

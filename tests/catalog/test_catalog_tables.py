"""Every table definition is consistent in itself and with the official Bitbucket Cloud spec.

The spec is /work/shared/reference/bitbucket-cloud-swagger.json (Swagger 2.0). Placeholders:
``path``/``wide_path`` use the spec's own placeholder names (they are the PathKey placeholders);
``get_path`` and write paths name their last placeholder(s) after the table's columns
(``{id}`` for the spec's ``{pull_request_id}``/``{comment_id}``, ``{uuid}`` for ``{pipeline_uuid}``,
``{slug}`` for ``{repo_slug}``...), so those are compared position by position.
"""

from __future__ import annotations

import re
import typing
from functools import cache
from typing import Any

import pytest

from _official_spec import official_spec
from bitbucket_sql.catalog.columns import PARAM_OPS, ops_for
from bitbucket_sql.catalog.model import SqlType, TableDef
from bitbucket_sql.catalog.registry import all_tables, get_table

PLACEHOLDER = re.compile(r"\{([^}]*)\}")
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
TABLES = all_tables()
LIVE_TABLES = [t for t in TABLES if not t.removed]

#: Object shapes the spec leaves undefined (no response schema); fields follow the digest
#: (/work/shared/reference/bitbucket-api.md) and real payloads.
UNDEFINED_SHAPES: dict[str, set[str]] = {
    # §5.16: download items are not in the spec.
    "downloads": {"name", "size", "downloads", "created_on", "user", "links"},
    # §5.9: activity entries have one of comment/update/approval/changes_requested + pull_request.
    "pull_request_activity": {"pull_request", "comment", "update", "approval", "changes_requested"},
    # a raw file body: the engine describes it (engine/raw_content.py), the API sends only bytes
    "file_contents": {"size", "is_binary", "content_type", "text"},
}

#: Tables whose list response has no schema but whose items are a spec definition.
ITEM_DEFINITIONS = {"pull_request_commits": "commit", "pull_request_diffstat": "diffstat"}

#: Fields real payloads carry that the spec's definitions omit (digest §1, §5.4, §5.13, §5.14).
KNOWN_EXTRA_FIELDS: dict[str, set[str]] = {
    "repository": {"slug", "workspace", "website"},
    "pullrequest": {"description"},
    "workspace_membership": {"permission", "added_on", "last_accessed"},
    "pipeline_trigger": {"name"},
    "pipeline_state_completed_result": {"name"},
    "pipeline_state_in_progress_stage": {"name"},
    "pipeline_step": {"name", "duration_in_seconds", "run_number", "trigger"},
    "pipeline_step_state": {"name"},
    "pipeline_step_state_completed_result": {"name"},
    "deployment_state_completed_status": {"name"},
    "deployment_environment": {
        "slug",
        "environment_type",
        "rank",
        "hidden",
        "lock",
        "restrictions",
        "category",
        "environment_lock_enabled",
        "deployment_gate_enabled",
    },
    "deploy_key": {"id"},
    "base_commit": {"links"},  # §5.7: links (self, html, diff, patch, comments, approve, statuses)
    # Recorded from live Bitbucket (tests/emulator/fidelity_manifest.json, docs/emulator-api.md):
    "deployment": {"key", "version", "last_update_time", "step", "commit", "deployable"},
    "deployment_state": {"started_on", "completed_on"},
    "deployment_release": {"key", "pipeline", "created_on"},
    "pipeline": {"has_variables", "expired", "first_successful", "run_number"},
    "webhook_subscription": {"read_only", "skip_cert_verification", "history_enabled"},
    # §5.7 and the spec's own /src example: file entries carry size and mimetype; directory listings
    # are commit_file/commit_directory entries, which the spec's treeentry leaves unspecified
    "commit_file": {"size", "mimetype"},
    "treeentry": {"size", "mimetype", "attributes"},
    "project_deploy_key": {"id"},  # like deploy_key
    # snippet comments are comments (digest §5.17); the spec's definition lists only links/snippet
    "snippet_comment": {"id", "content", "user", "created_on", "updated_on"},
    "snippet": {"links"},
}


@cache
def spec() -> dict[str, Any]:
    return official_spec()


def normalise(template: str) -> str:
    return PLACEHOLDER.sub("{}", template)


@cache
def spec_paths_by_shape() -> dict[str, list[str]]:
    shapes: dict[str, list[str]] = {}
    for path in spec()["paths"]:
        shapes.setdefault(normalise(path), []).append(path)
    return shapes


#: Templates that are a spec path under another spelling, with the reason.
SPEC_ALIASES: dict[str, tuple[str, str]] = {
    "/repositories/{workspace}/{repo_slug}/src/{commit}/": (
        "/repositories/{workspace}/{repo_slug}/src/{commit}/{path}",
        "the root directory is the spec's {path} left empty (the listing of /src/{commit}/)",
    ),
}


def spec_operation(template: str, method: str) -> tuple[str, dict[str, Any]]:
    """The spec path matching ``template`` placeholder by placeholder, and its operation."""
    template = SPEC_ALIASES.get(template, (template, ""))[0]
    candidates = spec_paths_by_shape().get(normalise(template), [])
    assert candidates, f"{template} has no counterpart in the spec's paths"
    for path in candidates:
        operation = spec()["paths"][path].get(method.lower())
        if operation is not None:
            return path, operation
    raise AssertionError(f"the spec has no {method} for {candidates}")


def definition_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


@cache
def subtypes() -> dict[str, set[str]]:
    """Definitions extending each definition through ``allOf`` (discriminator subtypes)."""
    found: dict[str, set[str]] = {}
    for name, schema in spec()["definitions"].items():
        for part in schema.get("allOf", []):
            if "$ref" in part:
                found.setdefault(definition_name(part["$ref"]), set()).add(name)
    return found


def variants(schema: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """The schema plus, for a reference, the referenced definition and all its subtypes."""
    if "items" in schema and schema.get("type") == "array":
        schema = schema["items"]
    if "$ref" not in schema:
        return [(None, schema)]
    seen, pending, result = set(), [definition_name(schema["$ref"])], []
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        result.append((name, spec()["definitions"][name]))
        pending.extend(subtypes().get(name, ()))
    return result


def properties(schema: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        if "$ref" in part:
            found.update(properties(spec()["definitions"][definition_name(part["$ref"])]))
        else:
            found.update(properties(part))
    return found


def extra_fields(name: str) -> set[str]:
    """Known extra fields of a definition and of the definitions it extends."""
    found = set(KNOWN_EXTRA_FIELDS.get(name, set()))
    for part in spec()["definitions"][name].get("allOf", []):
        if "$ref" in part:
            found |= extra_fields(definition_name(part["$ref"]))
    return found


def path_exists(schema: dict[str, Any], segments: list[str]) -> bool:
    if not segments:
        return True
    head, rest = segments[0], segments[1:]
    for name, variant in variants(schema):
        child = properties(variant).get(head)
        if child is not None and path_exists(child, rest):
            return True
        if name is not None and head in extra_fields(name):
            return True
    return False


def item_schema(table: TableDef) -> dict[str, Any]:
    if table.name in ITEM_DEFINITIONS:
        return {"$ref": f"#/definitions/{ITEM_DEFINITIONS[table.name]}"}
    _, operation = spec_operation(table.path, "GET")
    schema = operation["responses"]["200"].get("schema")
    assert schema is not None, (
        f"{table.name}: no response schema; add it to UNDEFINED_SHAPES or ITEM_DEFINITIONS"
    )
    name = definition_name(schema["$ref"])
    if table.paging == "single":
        return schema
    assert name.startswith("paginated_"), f"{table.name}: {name} is not a paginated list"
    return spec()["definitions"][name]["properties"]["values"]["items"]


def templates(table: TableDef) -> list[tuple[str, str]]:
    found = [("GET", table.path)]
    found += [("GET", t) for t in (table.get_path, table.wide_path) if t]
    found += [(w.method, w.path) for w in table.writes]
    return found


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_path_template_exists_in_the_spec_with_its_method(table: TableDef) -> None:
    for method, template in templates(table):
        spec_operation(template, method)


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_list_paths_use_the_spec_placeholder_names(table: TableDef) -> None:
    for template in (table.path, table.wide_path):
        if template:
            spec_path, _ = spec_operation(template, "GET")
            named = SPEC_ALIASES.get(template, (template, ""))[0]
            assert PLACEHOLDER.findall(named) == PLACEHOLDER.findall(spec_path)


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_placeholder_is_a_key_or_a_column(table: TableDef) -> None:
    key_placeholders = {k.placeholder for k in table.keys}
    assert set(PLACEHOLDER.findall(table.path)) == key_placeholders, "keys must match the list path exactly"
    for _, template in templates(table):
        for name in PLACEHOLDER.findall(template):
            assert name in key_placeholders or name in table.column_names, f"{template}: {{{name}}}"


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_column_names_are_unique_snake_case_with_valid_types_and_descriptions(table: TableDef) -> None:
    names = table.column_names
    assert len(names) == len(set(names))
    valid_types = set(typing.get_args(SqlType))
    for column in table.columns:
        assert SNAKE_CASE.match(column.name), column.name
        assert column.type in valid_types, f"{column.name}: {column.type}"
        assert column.description.strip(), f"{column.name} has no description"
        assert "\n" not in column.description
    assert table.description.strip()


@pytest.mark.parametrize("table", [t for t in TABLES if t.get_path], ids=lambda t: t.name)
def test_get_path_returns_the_shape_the_list_returns(table: TableDef) -> None:
    _, operation = spec_operation(table.get_path, "GET")
    single = operation["responses"]["200"].get("schema")
    assert single is not None, f"the spec gives no schema for {table.get_path}"
    single_names = {name for name, _ in variants(single)}
    listed_names = {name for name, _ in variants(item_schema(table))}
    assert single_names & listed_names, (
        f"{table.name}: GET one answers {single_names}, the list {listed_names}"
    )


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_primary_and_get_keys_are_columns(table: TableDef) -> None:
    assert set(table.primary_key) <= set(table.column_names)
    assert set(table.get_key) <= set(table.column_names)
    assert bool(table.get_key) == bool(table.get_path)


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_path_keys_point_at_existing_columns_and_source_tables(table: TableDef) -> None:
    for key in table.keys:
        assert table.column(key.column) is not None, key
        if key.values:  # a closed set enumerated without requests (hook_events' subject types)
            assert key.source_table is None and table.scope == "global", key
            continue
        if key.source_table is None:
            assert key.placeholder == "workspace" and key.column == "workspace"
            continue
        source = get_table(key.source_table)
        assert source is not None, key
        assert source.column(key.source_column) is not None, key
        assert source.column(key.source_column).type == table.column(key.column).type, key


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_scope_columns_follow_the_conventions(table: TableDef) -> None:
    keys = {k.column: k for k in table.keys}
    if table.scope == "global":
        # a global table's keys are a closed set of values or the caller (users' own settings)
        assert all(k.values or (k.source_table, k.source_column) == ("current_user", "uuid") for k in table.keys)
        assert all(table.column(k.column).path is None for k in table.keys)
        return
    assert table.column("workspace").path is None and "workspace" in keys
    if table.scope == "repository":
        assert table.column("repository").path is None
        assert keys["repository"].placeholder == "repo_slug"
        assert (keys["repository"].source_table, keys["repository"].source_column) == ("repositories", "slug")
    else:  # a workspace table's repository slug can only be derived from what the API embeds
        assert table.column("repository") is None or table.column("repository").derive is not None
    for column_name in keys:
        column = table.column(column_name)
        assert column.path is None or table.wide_path, f"{column_name} must come from the scope"


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_filters_and_sorts_have_a_route_and_fit_the_type(table: TableDef) -> None:
    for column in table.columns:
        if column.filter_ops:
            assert column.path is not None, f"{column.name}: scope columns are keys, not filters"
            if column.param:
                assert column.filter_ops <= PARAM_OPS, column.name
            else:
                assert table.bbql, f"{column.name}: a filter needs BBQL or a param"
                assert column.filter_ops <= ops_for(column.type), column.name
            if column.type == "JSON":
                pytest.fail(f"{column.name}: JSON columns cannot be filtered")
        if column.sortable:
            assert table.bbql or table.sort_param, f"{column.name}: sortable without a sort route"
            assert column.type in {"BIGINT", "DOUBLE", "TIMESTAMPTZ", "DATE"}, column.name


@pytest.mark.parametrize("table", LIVE_TABLES, ids=lambda t: t.name)
def test_column_paths_exist_in_the_spec_definition(table: TableDef) -> None:
    if table.name in UNDEFINED_SHAPES:
        for column in table.columns:
            if column.path is not None:
                assert column.path.split(".")[0] in UNDEFINED_SHAPES[table.name], column.name
        return
    schema = item_schema(table)
    missing = [
        c.name for c in table.columns if c.path is not None and not path_exists(schema, c.path.split("."))
    ]
    assert not missing, f"{table.name}: paths not in the spec: {missing}"


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_paging_and_page_sizes_follow_the_digest(table: TableDef) -> None:
    cursor_tables = {"commits", "branch_commits", "pull_request_commits", "pull_request_activity", "file_history"}
    assert (table.paging == "cursor") == (table.name in cursor_tables)
    if table.paging == "single":
        assert table.name in {"current_user", "branching_model"}
    if table.name in {"pull_requests", "pull_request_activity"}:
        expected = 50  # larger pages answer 400 "Invalid pagelen"
    elif table.name in {"commit_diffstat", "pull_request_diffstat"}:
        expected = 5000  # spec: paginated_diffstats
    else:
        expected = 100
    assert table.max_pagelen == expected


def test_pull_requests_list_every_state_and_fetch_reviewers_on_demand() -> None:
    table = get_table("pull_requests")
    assert dict(table.fixed_params)["state"] == ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")
    assert not table.column("reviewers").default_field and not table.column("participants").default_field
    assert "=" in table.column("state").filter_ops
    assert table.column("updated_on").sortable and not table.column("title").sortable


def test_refs_are_never_sorted_by_the_api() -> None:
    for name in ("branches", "tags"):
        assert not any(c.sortable for c in get_table(name).columns), name


def test_pipelines_filter_through_parameters_and_sort_by_creation() -> None:
    table = get_table("pipelines")
    assert not table.bbql and table.sort_param == "sort"
    params = {c.name: c.param for c in table.columns if c.param}
    assert params["target_ref_name"] == "target.ref_name" and params["creator_uuid"] == "creator.uuid"
    assert table.column("state_result_name").filter_ops == frozenset(), "status= is ignored by the API"
    assert [c.name for c in table.columns if c.sortable] == ["created_on"]


def test_activity_reads_pull_request_ids_from_the_wide_listing() -> None:
    table = get_table("pull_request_activity")
    assert table.wide_path.endswith("/pullrequests/activity")
    assert table.column("pull_request_id").path == "pull_request.id"


def test_the_path_checker_rejects_fields_the_spec_does_not_define() -> None:
    pull_request = {"$ref": "#/definitions/pullrequest"}
    assert path_exists(pull_request, ["author", "account_id"])  # through the `user` subtype of `account`
    assert not path_exists(pull_request, ["author", "email"])
    assert not path_exists(pull_request, ["source", "branch", "colour"])


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_listing_order_columns_only_on_unfiltered_listings(table: TableDef) -> None:
    ordered = [column for column in table.columns if column.listing_order]
    if not ordered:
        return
    assert len(ordered) == 1 and ordered[0].type == "BIGINT" and ordered[0].path is None
    assert not table.bbql and not table.sort_param and not table.fixed_params
    assert not table.get_path and not table.wide_path
    assert not any(column.param or column.filter_ops for column in table.columns)


def test_branch_commits_lists_one_branch_history_per_scope() -> None:
    table = get_table("branch_commits")
    assert table.path.endswith("/commits/{revision}") and table.paging == "cursor"
    assert table.keys[-1].column == "branch" and table.keys[-1].source_table == "branches"
    assert table.column("position").listing_order

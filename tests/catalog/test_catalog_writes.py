"""Write declarations: every writable table of issue 11 takes its writes, each declared write matches
the official spec (method and path, OAuth scope, body fields), and the metadata tables show it."""

from __future__ import annotations

from typing import Any

import pytest
from test_catalog_tables import path_exists, spec_operation

from _helpers_connect import demo_settings
from bitbucket_sql.catalog.model import TableDef
from bitbucket_sql.catalog.registry import all_tables, get_table
from bitbucket_sql.engine import Engine

#: table -> the SQL writes Bitbucket's API offers for it
EXPECTED = {
    "repositories": ("insert", "update", "delete"), "projects": ("insert", "update", "delete"),
    "branches": ("insert", "delete"), "tags": ("insert", "delete"), "pull_requests": ("insert", "update"),
    "pull_request_comments": ("insert", "update", "delete"), "pull_request_tasks": ("insert", "update", "delete"),
    "commit_statuses": ("insert", "update"), "pipelines": ("insert",),
    "pipeline_variables": ("insert", "update", "delete"), "workspace_pipeline_variables": ("insert", "update", "delete"),
    "pipeline_schedules": ("insert", "update", "delete"), "environments": ("insert", "delete"),
    "branch_restrictions": ("insert", "update", "delete"), "default_reviewers": ("insert", "delete"),
    "project_default_reviewers": ("insert", "delete"), "repository_webhooks": ("insert", "update", "delete"),
    "workspace_webhooks": ("insert", "update", "delete"), "deploy_keys": ("insert", "update", "delete"),
    "repository_user_permissions": ("insert", "update", "delete"),
    "repository_group_permissions": ("insert", "update", "delete"),
    "project_user_permissions": ("insert", "update", "delete"),
    "project_group_permissions": ("insert", "update", "delete"), "forks": ("insert",),
}
WRITABLE = [t for t in all_tables() if t.operations]


def test_every_table_of_the_issue_takes_its_writes() -> None:
    for name, operations in EXPECTED.items():
        table = get_table(name)
        assert table is not None and table.operations == operations, name


@pytest.mark.parametrize("table", WRITABLE, ids=lambda t: t.name)
def test_fields_are_columns_or_typed_write_only_fields(table: TableDef) -> None:
    for op in table.writes:
        for write_field in op.fields:
            column = table.column(write_field.column)
            assert (column is None) == (write_field.type is not None), (op.path, write_field.column)
            if column is not None:
                assert column.path is not None or write_field.body_path, write_field.column  # has a JSON path


def _body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    body = [p for p in operation.get("parameters", []) if p.get("in") == "body"]
    return body[0].get("schema") if body and "$ref" in body[0].get("schema", {}) else None


@pytest.mark.parametrize("table", WRITABLE, ids=lambda t: t.name)
def test_writes_match_the_spec(table: TableDef) -> None:
    for op in table.writes:
        if op.kind is None:
            continue
        _, operation = spec_operation(op.path, op.method)
        scopes = [scope for item in operation.get("security", []) for scope in item.get("oauth2", [])]
        assert op.scope in scopes, (op.method, op.path, op.scope, scopes)
        schema = _body_schema(operation)
        if schema is None or op.kind == "delete":
            continue  # the spec declares no body (hooks, deploy keys, branches): the emulator test covers them
        for write_field in op.fields:
            column = table.column(write_field.column)
            path = write_field.body_path or (column.path if column is not None else write_field.column)
            assert path is not None and path_exists(schema, path.split(".")), (op.method, op.path, path)


def test_metadata_tables_show_the_write_model(emulator: Any) -> None:
    with Engine(demo_settings(emulator.base_url)) as engine:
        _check_metadata(engine)


def _check_metadata(engine: Engine) -> None:
    rows = engine.execute(
        "SELECT ColumnName, IsReadOnly, IsRequired, WriteOperations FROM sys_tablecolumns "
        "WHERE TableName = 'pull_requests' AND ColumnName IN ('title', 'source_branch_name', 'description', "
        "'created_on', 'repository') ORDER BY ColumnName").rows
    assert rows == [
        ("created_on", True, False, None),
        ("description", False, False, "insert,update"),
        ("repository", False, True, "insert"),
        ("source_branch_name", False, True, "insert"),
        ("title", False, True, "insert,update"),
    ]
    tables = dict(engine.execute("SELECT TableName, WriteOperations FROM sys_tables "
                                 "WHERE TableName IN ('branches', 'commits')").rows)
    assert tables == {"branches": "insert,delete", "commits": None}


@pytest.mark.parametrize("table", WRITABLE, ids=lambda t: t.name)
def test_api_token_scopes_match_the_spec(table: TableDef) -> None:
    for op in table.writes:
        if op.kind is None:
            continue
        _, operation = spec_operation(op.path, op.method)
        granular = {scope for item in operation.get("x-atlassian-oauth2-scopes", []) for scope in item.get("scopes", [])}
        assert set(op.api_token_scopes) == granular, (op.method, op.path, op.api_token_scopes, sorted(granular))

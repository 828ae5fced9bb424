"""Each procedure declaration against the official spec, and the procedure system tables.

The spec (the byte-for-byte copy the emulator ships) is the authority for method, path, body
fields, success status, response fields and scopes: a declaration that drifts from it fails here.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest

from _official_spec import official_spec
from bitbucket_sql.catalog import registry
from bitbucket_sql.catalog.procedures import ProcedureDef, all_procedures, get_procedure
from bitbucket_sql.catalog.templates import placeholders
from bitbucket_sql.engine import Engine

PROCEDURES = all_procedures()
IDS = [p.name for p in PROCEDURES]
#: our placeholder -> the spec's name for it
SPEC_NAMES = {"repository": "repo_slug"}


@cache
def spec() -> dict[str, Any]:
    return official_spec()


def spec_operation(method: str, path: str) -> dict[str, Any]:
    template = re.sub(r"\{([a-z_]+)\}", lambda m: "{" + SPEC_NAMES.get(m.group(1), m.group(1)) + "}", path)
    operations = spec()["paths"].get(template)
    assert operations is not None, f"{template} is not a path of the official spec"
    operation = operations.get(method.lower())
    assert operation is not None, f"{method} {template} is not in the official spec"
    return operation


def definition(reference: dict[str, Any]) -> dict[str, Any]:
    """A schema with its $ref and allOf resolved into one properties mapping."""
    if "$ref" in reference:
        return definition(spec()["definitions"][reference["$ref"].rsplit("/", 1)[1]])
    properties: dict[str, Any] = dict(reference.get("properties", {}))
    for part in reference.get("allOf", []):
        properties.update(definition(part).get("properties", {}))
    return {**reference, "properties": properties}


def subtypes(reference: dict[str, Any]) -> list[dict[str, Any]]:
    """The definitions that extend a referenced one (``user`` extends ``account``; the pipeline
    state's ``name`` lives in its subtypes): the answer holds one of them."""
    target = reference.get("$ref")
    if target is None:
        return []
    found = []
    for name, candidate in spec()["definitions"].items():
        if any(part.get("$ref") == target for part in candidate.get("allOf", [])):
            found.append({"$ref": f"#/definitions/{name}"})
    return found


def field_exists(schema: dict[str, Any], dotted: str) -> bool:
    """Whether the dotted field is in the schema, or in a subtype of a schema on the way."""
    part, _, rest = dotted.partition(".")
    for candidate in [schema, *subtypes(schema)]:
        properties = definition(candidate).get("properties", {})
        if part in properties and (not rest or field_exists(properties[part], rest)):
            return True
    return False


@pytest.mark.parametrize("procedure", PROCEDURES, ids=IDS)
def test_request_matches_the_spec(procedure: ProcedureDef) -> None:
    operation = spec_operation(procedure.method, procedure.path)
    declared = {p["name"]: p for p in operation.get("parameters", [])}
    path_params = {SPEC_NAMES.get(name, name) for name in placeholders(procedure.path)}
    spec_path_params = {name for name, p in declared.items() if p.get("in") == "path"}
    spec_path_params |= {p["name"] for p in spec()["paths"][next(iter(
        k for k in spec()["paths"] if spec()["paths"][k].get(procedure.method.lower()) is operation))].get(
        "parameters", []) if p.get("in") == "path"}
    assert path_params == spec_path_params
    for param in procedure.params:
        if param.location == "query":
            assert param.api_field in declared and declared[param.api_field]["in"] == "query", param.name
        if param.location == "body":
            body = next(p for p in declared.values() if p.get("in") == "body")
            assert field_exists(body["schema"], param.api_field), f"{param.api_field} not in the body schema"
            if param.choices:
                enum = definition(body["schema"])["properties"][param.api_field].get("enum")
                assert tuple(enum) == param.choices
    for field_name, _ in procedure.fixed_body:
        body = next(p for p in declared.values() if p.get("in") == "body")
        assert field_exists(body["schema"], field_name)


@pytest.mark.parametrize("procedure", PROCEDURES, ids=IDS)
def test_success_answer_and_result_columns_match_the_spec(procedure: ProcedureDef) -> None:
    responses = spec_operation(procedure.method, procedure.path)["responses"]
    if procedure.no_content:
        assert "204" in responses and not procedure.result
        return
    success = next(code for code in ("200", "201") if code in responses)
    schema = responses[success]["schema"]
    for column in procedure.result:
        assert field_exists(schema, column.path or ""), f"{column.name}: {column.path} is not in the answer"
    if procedure.async_task:
        assert "202" in responses


@pytest.mark.parametrize("procedure", PROCEDURES, ids=IDS)
def test_scopes_are_the_specs(procedure: ProcedureDef) -> None:
    operation = spec_operation(procedure.method, procedure.path)
    classic = [scope for entry in operation["security"] for scope in entry.get("oauth2", [])]
    assert procedure.scope in classic
    granular = [scope for entry in operation.get("x-atlassian-oauth2-scopes", []) for scope in entry["scopes"]]
    assert sorted(procedure.token_scopes) == sorted(granular)


@pytest.mark.parametrize("procedure", PROCEDURES, ids=IDS)
def test_lookup_paths_exist_and_tables_are_real(procedure: ProcedureDef) -> None:
    if procedure.lookup is not None:
        spec_operation("GET", procedure.lookup.path)
    for table in procedure.tables:
        assert registry.get_table(table) is not None, table
    assert procedure.description and all(p.description for p in procedure.params)
    assert all(c.description for c in procedure.result_columns)


def test_the_issue_names_are_all_there() -> None:
    for name in ("merge_pull_request", "approve_pull_request", "unapprove_pull_request",
                 "request_changes_pull_request", "decline_pull_request", "stop_pipeline", "rerun_pipeline"):
        assert get_procedure(name) is not None, name
    assert get_procedure("MERGE_PULL_REQUEST") is get_procedure("merge_pull_request")


def test_actions_the_api_lacks_are_said_so() -> None:
    assert "cannot reopen" in (get_procedure("decline_pull_request") or PROCEDURES[0]).description
    rerun = get_procedure("rerun_pipeline")
    assert rerun is not None and "no re-run endpoint" in rerun.description
    assert not any("/watch" in p.path for p in PROCEDURES)


def test_sys_procedures_and_parameters(make_engine: Any, request_count: Any) -> None:
    engine: Engine = make_engine()
    before = request_count()

    procedures = engine.execute("SELECT CatalogName, SchemaName, ProcedureName, Description, ProcedureType "
                                "FROM sys_procedures ORDER BY ProcedureName")
    parameters = engine.execute(
        "SELECT ColumnName, Direction, DataTypeName, DataType, IsNullable, IsRequired, Ordinal, \"Values\", "
        "\"Default\", IsPath FROM sys_procedureparameters WHERE ProcedureName = 'merge_pull_request' "
        "ORDER BY Ordinal")

    assert request_count() == before
    assert [row[2] for row in procedures.rows] == sorted(IDS)
    assert all(row[0] == "bitbucket" and row[1] == "acme" and row[3] and row[4] == "STOREDPROCEDURE"
               for row in procedures.rows)
    by_name = {row[0]: row for row in parameters.rows}
    assert by_name["workspace"][1:4] == (1, "VARCHAR", 12) and by_name["workspace"][8] == "the connection's Workspace"
    assert by_name["pull_request_id"][1:7] == (1, "BIGINT", -5, False, True, 3)
    assert by_name["merge_strategy"][7] == "merge_commit,squash,fast_forward,squash_fast_forward," \
                                           "rebase_fast_forward,rebase_merge"
    assert by_name["merge_strategy"][4] is True and by_name["merge_strategy"][9] is False
    assert by_name["state"][1] == 4 and by_name["merge_commit_hash"][1] == 4  # result columns
    assert [row[6] for row in parameters.rows] == list(range(1, len(parameters.rows) + 1))

"""The Fivetran connector end to end: `fivetran debug`, offline, against the local emulator.

What a user of the connector checks: the first `fivetran debug` lands every table the sync core
copies in files/warehouse.db with exactly the rows the live tables answer (through the DB-API,
in this project's environment), and a second run, from the state the first one saved, asks the
API only for what may have changed (a few requests per scope instead of a re-copy).

The connector runs the way Fivetran runs it: from the directory integrations/fivetran/build.py
assembles (connector.py, requirements.txt and the vendored bitbucket_sql api/catalog/sync), in
its own virtualenv with fivetran-connector-sdk 3.0.0 and its DuckDB 1.5.6 (see
fivetran_environment.py), and the warehouse is read back by that DuckDB.
"""

from __future__ import annotations

import ast
import collections
import datetime
import importlib.metadata
import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fivetran_environment import CONNECTOR_DIRECTORY, sdk_environment, sdk_run_environment

import bitbucket_sql
from _helpers_connect import DEMO_TOKEN, DEMO_USER, connection_string_for
from bitbucket_sql.emulator import EmulatorHandle, run_emulator
from bitbucket_sql.sync.extract import sync_tables

DUMP_SCRIPT = Path(__file__).with_name("fivetran_warehouse_dump.py")
#: The schema `fivetran debug` writes to in files/warehouse.db.
DEBUG_SCHEMA = "tester"
DEBUG_TIMEOUT_S = 600


def _load_build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fivetran_build", CONNECTOR_DIRECTORY / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_module = _load_build_module()


@pytest.fixture(scope="module")
def sdk_venv() -> Path:
    return sdk_environment()


@pytest.fixture(scope="module")
def fivetran_emulator() -> Iterator[EmulatorHandle]:
    """An emulator of its own (it is written to), at the scale where listings take several pages,
    so a re-copy and an incremental sync differ in requests as they would on a real workspace."""
    with run_emulator(scale="small", seed=1) as handle:
        yield handle


def _debug(venv: Path, project: Path) -> str:
    """Run `fivetran debug` in ``project`` and return its output; fail with the output if it fails."""
    done = subprocess.run(
        ["fivetran", "debug", "--configuration", "configuration.json"],
        cwd=project,
        env=sdk_run_environment(venv),
        capture_output=True,
        text=True,
        timeout=DEBUG_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "SYNC SUCCEEDED" in output, f"fivetran debug failed:\n{output[-6000:]}"
    return output


def _operation_count(output: str, operation: str) -> int:
    """A count from the summary table `fivetran debug` prints (``Upserts | 12``)."""
    found = re.findall(rf"^\s*{operation}\s*\|\s*(\d+)\s*$", output, flags=re.MULTILINE)
    assert found, f"no {operation} count in the output of fivetran debug"
    return int(found[-1])


def _warehouse(venv: Path, project: Path, tables: list[Any]) -> dict[str, Any]:
    """What warehouse.db holds (see fivetran_warehouse_dump.py), with each column under its catalog
    name again (Fivetran's default naming renames a few, ``has_2fa_enabled`` to ``has_2_fa_enabled``)."""
    names_file = project.parent / "column-names.json"
    names_file.write_text(json.dumps(sorted({name for table in tables for name, _ in table.columns})))
    done = subprocess.run(
        [str(venv / "bin" / "python"), str(DUMP_SCRIPT), str(project / "files" / "warehouse.db"), DEBUG_SCHEMA,
         str(names_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    catalog_name = {renamed: name for name, renamed in loaded["renamed"].items()}
    for landed in loaded["tables"].values():
        landed["columns"] = {catalog_name.get(name, name): kind for name, kind in landed["columns"].items()}
    tables_found: dict[str, Any] = loaded["tables"]
    return tables_found


def _normalized(value: Any, sql_type: str) -> Any:
    """One cell as comparable Python data, from the warehouse's text or the DB-API's value."""
    if value is None:
        return None
    if sql_type == "TIMESTAMPTZ":
        moment = value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return moment.astimezone(datetime.UTC).isoformat()
    if sql_type == "JSON":
        return json.dumps(json.loads(value) if isinstance(value, str) else value, sort_keys=True)
    if sql_type == "DATE":
        return value.isoformat() if isinstance(value, datetime.date) else str(value)
    if sql_type == "DOUBLE":
        return float(value)
    return value


def _row_counter(
    rows: list[list[Any]] | list[tuple[Any, ...]], types: list[str]
) -> collections.Counter[tuple[Any, ...]]:
    return collections.Counter(
        tuple(_normalized(value, sql_type) for value, sql_type in zip(row, types, strict=True))
        for row in rows
    )


def _live_rows(emulator: EmulatorHandle, names: list[str], table: str) -> list[tuple[Any, ...]]:
    """The live table's rows (these columns), through the DB-API in this project's environment."""
    connection = bitbucket_sql.connect(connection_string_for(emulator, CacheTTL="0"))
    try:
        cursor = connection.cursor()
        cursor.execute(f"SELECT {', '.join(names)} FROM {table}")
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        connection.close()


def _assert_copy_equals_live(venv: Path, project: Path, emulator: EmulatorHandle, tables: list[Any]) -> int:
    """Every synced table is in warehouse.db with exactly the live table's rows; returns the row count."""
    warehouse = _warehouse(venv, project, tables)
    missing = sorted({table.name for table in tables} - set(warehouse))
    assert not missing, f"tables missing from warehouse.db: {missing}"
    compared = 0
    for table in tables:
        landed = warehouse[table.name]
        landed_columns = list(landed["columns"])
        # the same columns (Fivetran puts the primary key's first)
        assert sorted(landed_columns) == sorted(name for name, _ in table.columns), f"{table.name}: columns differ"
        # the live table's columns (the copy adds a key column, activity_key, where the API gives no id)
        names = [column.name for column in table.catalog_columns]
        types = [column.type for column in table.catalog_columns]
        positions = [landed_columns.index(name) for name in names]
        landed_rows = [[row[i] for i in positions] for row in landed["rows"]]
        live = _live_rows(emulator, names, table.name)
        live_counter, landed_counter = _row_counter(live, types), _row_counter(landed_rows, types)
        assert live_counter == landed_counter, (
            f"{table.name}: {len(live)} live rows, {len(landed_rows)} landed; "
            f"live only (first 3): {list((live_counter - landed_counter).elements())[:3]}; "
            f"landed only (first 3): {list((landed_counter - live_counter).elements())[:3]}"
        )
        compared += len(live)
    return compared


BRANCH = "fivetran-sync-check"
NEW_TITLE = "Retitled between two Fivetran syncs"


def _write(emulator: EmulatorHandle, method: str, path: str, body: Any = None) -> Any:
    """A call to the emulator's write API with the demo credentials; fails the test unless it succeeds."""
    with httpx.Client(base_url=emulator.base_url, auth=(DEMO_USER, DEMO_TOKEN), timeout=30) as client:
        answer = client.request(method, path, json=body)
    assert answer.status_code in (200, 201, 204), f"{method} {path}: {answer.status_code} {answer.text}"
    return answer.json() if answer.content else None


def _open_pull_request(emulator: EmulatorHandle) -> tuple[str, int]:
    """(repository, id) of an open pull request of acme."""
    store = emulator.store
    with store.lock:
        for slug in sorted(store.workspace("acme").repositories):
            for number, pull_request in sorted(store.repo_data("acme", slug).pullrequests.items()):
                if pull_request["state"] == "OPEN":
                    return slug, int(number)
    raise AssertionError("the small emulator data should have an open pull request in acme")


@pytest.mark.slow
def test_fivetran_debug_lands_every_table_then_syncs_incrementally(
    sdk_venv: Path, fivetran_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    project = build_module.build(tmp_path / "connector")
    configuration = {"workspaces": "acme", "email": DEMO_USER, "api_token": DEMO_TOKEN,
                     "base_url": fivetran_emulator.base_url}  # fmt: skip
    (project / "configuration.json").write_text(json.dumps(configuration), encoding="utf-8")
    tables = sync_tables(None)
    slug, pull_request_id = _open_pull_request(fivetran_emulator)
    main_head = _write(fivetran_emulator, "GET", f"/repositories/acme/{slug}/refs/branches/main")["target"]["hash"]
    _write(fivetran_emulator, "POST", f"/repositories/acme/{slug}/refs/branches",
           {"name": BRANCH, "target": {"hash": main_head}})  # fmt: skip

    # First sync: a full copy, equal to the live tables.
    fivetran_emulator.reset_stats()
    first_output = _debug(sdk_venv, project)
    first = fivetran_emulator.stats()
    assert DEMO_TOKEN not in first_output
    assert json.loads((project / "files" / "state.json").read_text(encoding="utf-8")), "no state was saved"
    rows = _assert_copy_equals_live(sdk_venv, project, fivetran_emulator, tables)
    first_upserts = _operation_count(first_output, "Upserts")
    assert rows > 1000 and first_upserts >= rows

    # Upstream changes, then a second sync from files/state.json.
    _write(fivetran_emulator, "PUT", f"/repositories/acme/{slug}/pullrequests/{pull_request_id}", {"title": NEW_TITLE})
    _write(fivetran_emulator, "DELETE", f"/repositories/acme/{slug}/refs/branches/{BRANCH}")
    store = fivetran_emulator.store
    with store.lock:
        repositories = len(store.workspace("acme").repositories)
        unfinished_pipelines = sum(
            pipeline["state"]["name"] != "COMPLETED"
            for slug_ in store.workspace("acme").repositories
            for pipeline in store.repo_data("acme", slug_).pipelines.values()
        )
    fivetran_emulator.reset_stats()
    second_output = _debug(sdk_venv, project)
    second = fivetran_emulator.stats()
    assert "(resuming from the saved state)" in second_output
    print(
        f"fivetran debug on the small emulator: first sync {first['total']} requests, {first_upserts} upserts; "
        f"second {second['total']} requests, {_operation_count(second_output, 'Upserts')} upserts, "
        f"{_operation_count(second_output, 'Deletes')} deletes ({repositories} repositories)"
    )

    # Only incremental requests: no route asked more than in the first sync, the per-pull-request
    # listings only for the one pull request that changed, the repository listings a request or
    # two per repository, and far fewer requests and rows in all.
    for route, count in second["routes"].items():
        if route.endswith("{pipeline_uuid}"):  # pipelines unfinished at the first sync, re-read one by one
            assert count <= unfinished_pipelines, f"{route}: {count} requests, {unfinished_pipelines} unfinished"
            continue
        assert count <= first["routes"].get(route, 0), f"{route}: {count} requests, more than the full copy's"
        if "{pull_request_id}" in route:
            assert count <= 1, f"{route}: {count} requests, but one pull request changed"
        if route.endswith(("{repo_slug}/pullrequests", "{repo_slug}/pipelines", "{repo_slug}/commits")):
            assert count <= 2 * repositories, f"{route}: {count} requests for {repositories} repositories"
    assert second["total"] * 5 <= first["total"]
    assert _operation_count(second_output, "Upserts") * 20 <= first_upserts
    assert _operation_count(second_output, "Deletes") >= 1  # the deleted branch

    # The copy still equals the live tables: the new title is there, the branch is gone.
    _assert_copy_equals_live(sdk_venv, project, fivetran_emulator, tables)
    warehouse = _warehouse(sdk_venv, project, tables)
    pull_requests = warehouse["pull_requests"]
    names = list(pull_requests["columns"])
    titles = {
        (row[names.index("repository")], row[names.index("id")]): row[names.index("title")]
        for row in pull_requests["rows"]
    }
    assert titles[(slug, pull_request_id)] == NEW_TITLE
    assert warehouse["branches"]["deleted"] >= 1
    branch_names = list(warehouse["branches"]["columns"])
    assert all(
        (row[branch_names.index("repository")], row[branch_names.index("name")]) != (slug, BRANCH)
        for row in warehouse["branches"]["rows"]
    )

    # A third sync with full_refresh_every: the second one refreshed the settings tables, so they are
    # not due and cost nothing; the change feeds are read as before.
    configuration["full_refresh_every"] = "6h"
    (project / "configuration.json").write_text(json.dumps(configuration), encoding="utf-8")
    fivetran_emulator.reset_stats()
    _debug(sdk_venv, project)
    third = fivetran_emulator.stats()
    assert not third["routes"].get("GET /2.0/repositories/{workspace}/{repo_slug}/hooks")
    assert third["routes"].get("GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests") == repositories
    assert third["total"] * 2 <= second["total"]


@pytest.mark.slow
def test_a_sync_stopped_by_max_requests_resumes_to_a_complete_copy(
    sdk_venv: Path, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    project = build_module.build(tmp_path / "connector")
    configuration = {"workspaces": "acme", "email": DEMO_USER, "api_token": DEMO_TOKEN,
                     "base_url": emulator.base_url, "max_requests": "60"}  # fmt: skip
    (project / "configuration.json").write_text(json.dumps(configuration), encoding="utf-8")
    tables = sync_tables(None)

    emulator.reset_stats()
    stopped = _debug(sdk_venv, project)
    assert "stopped at max_requests=60" in stopped
    assert emulator.stats()["total"] <= 60 + 8  # requests in flight when the budget ran out finish
    assert json.loads((project / "files" / "state.json").read_text(encoding="utf-8")), "no state was saved"

    del configuration["max_requests"]
    (project / "configuration.json").write_text(json.dumps(configuration), encoding="utf-8")
    finished = _debug(sdk_venv, project)
    assert "(resuming from the saved state)" in finished and "sync complete" in finished
    _assert_copy_equals_live(sdk_venv, project, emulator, tables)


def _call_connector(venv: Path, project: Path, function: str, configuration: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """Call ``connector.<function>(configuration)`` in the SDK's environment, as Fivetran does, and
    print its JSON answer."""
    code = (
        "import json, sys, connector\n"
        f"print(json.dumps(connector.{function}(json.loads(sys.argv[1]))))\n"
    )
    return subprocess.run(
        [str(venv / "bin" / "python"), "-c", code, json.dumps(configuration)],
        cwd=project,
        env=sdk_run_environment(venv),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_schema_declares_every_synced_table_with_its_primary_key_and_types(sdk_venv: Path, tmp_path: Path) -> None:
    project = build_module.build(tmp_path / "connector")
    configuration = {"workspaces": "acme", "access_token": "a-token", "tables": "pull_requests, pull_request_activity"}
    done = _call_connector(sdk_venv, project, "schema", configuration)
    assert done.returncode == 0, done.stderr
    declared = {entry["table"]: entry for entry in json.loads(done.stdout)}
    assert sorted(declared) == ["pull_request_activity", "pull_requests"]
    for table in sync_tables(["pull_requests", "pull_request_activity"]):
        assert declared[table.name]["primary_key"] == list(table.primary_key)
        assert list(declared[table.name]["columns"]) == [name for name, _ in table.columns]
    pull_requests = declared["pull_requests"]
    assert pull_requests["primary_key"] == ["workspace", "repository", "id"]
    kinds = pull_requests["columns"]
    assert (kinds["id"], kinds["title"], kinds["created_on"], kinds["draft"]) == (
        "LONG", "STRING", "UTC_DATETIME", "BOOLEAN",
    )  # fmt: skip
    # every table by default, each with a primary key (activity gets the sync core's activity_key)
    everything = _call_connector(sdk_venv, project, "schema", {"workspaces": "acme", "access_token": "a-token"})
    assert everything.returncode == 0, everything.stderr
    default = json.loads(everything.stdout)
    assert [entry["table"] for entry in default] == [table.name for table in sync_tables(None)]
    assert all(entry["primary_key"] for entry in default)


@pytest.mark.parametrize(
    ("configuration", "words"),
    [
        ({"access_token": "s3cret-token"}, "configuration key 'workspaces': is missing"),
        ({"workspaces": "acme", "access_token": "s3cret-token", "tables": "issues"}, "configuration key 'tables'"),
        ({"workspaces": "acme", "email": "me@example.com", "api_token": "s3cret-token", "access_token": "s3cret-token"},
         "configuration key 'auth_method': the credentials of several methods"),
    ],
)  # fmt: skip
def test_a_configuration_mistake_stops_the_connector_naming_the_key(
    sdk_venv: Path, tmp_path: Path, configuration: dict[str, Any], words: str
) -> None:
    project = build_module.build(tmp_path / "connector")
    done = _call_connector(sdk_venv, project, "schema", configuration)
    assert done.returncode != 0
    assert f"ValueError: invalid configuration: {words}" in done.stderr
    assert "s3cret-token" not in done.stderr + done.stdout


def test_build_vendors_only_layers_without_duckdb_and_requirements_cover_their_imports(
    tmp_path: Path,
) -> None:
    project = build_module.build(tmp_path / "connector")
    vendored = sorted(p.name for p in (project / "bitbucket_sql").iterdir() if p.is_dir())
    assert vendored == ["api", "catalog", "sync"]
    assert (project / "connector.py").is_file() and (project / "requirements.txt").is_file()
    assert build_module.foreign_imports(project / "bitbucket_sql", build_module.VENDORED_PACKAGES) == []

    local = {"bitbucket_sql", "bitbucket_configuration", "fivetran_connector_sdk"}
    imported: set[str] = set()
    for path in project.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = sorted(imported - local - set(sys.stdlib_module_names) - {"__future__"})
    distributions = importlib.metadata.packages_distributions()
    required = {
        re.split(r"[<>=!~;\[ ]", line.strip())[0].lower().replace("_", "-")
        for line in (project / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for module in third_party:
        names = {name.lower().replace("_", "-") for name in distributions.get(module, [module])}
        assert names & required, (
            f"the connector imports {module} ({', '.join(sorted(names))}), absent from requirements.txt"
        )
    assert not any("duckdb" in name or "sqlglot" in name for name in required)


def test_build_refuses_code_that_would_import_the_engine(tmp_path: Path) -> None:
    package = tmp_path / "bitbucket_sql"
    (package / "sync").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sync" / "__init__.py").write_text("")
    (package / "sync" / "load.py").write_text(
        "from ..engine import planner\nimport bitbucket_sql.api.client\n"
    )
    assert build_module.foreign_imports(package, build_module.VENDORED_PACKAGES) == [
        "sync/load.py: bitbucket_sql.engine"
    ]

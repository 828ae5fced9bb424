"""Every writable table, every operation: the safety promises of docs/writing.md checked one by one.

For each table (tests/engine/writes/test_write_round_trips.py has its round trip):

- ``EXPLAIN`` of its INSERT, UPDATE and DELETE names the write's method and sends no write;
- ``ReadOnly=true`` refuses each of them before any request;
- the read-only access token (the emulator's ``demo-readonly-token``, read scopes only) gets an
  error naming the scope the INSERT needs, and nothing is created;
- a two-row INSERT whose second request fails (an injected fault) reports exactly one row written,
  and Bitbucket holds exactly that one (counted over raw HTTP).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bitbucket_sql.catalog.registry import all_tables, get_table
from bitbucket_sql.emulator import EmulatorHandle
from bitbucket_sql.emulator.principal import READ_SCOPES
from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.writes import PartialWriteError, ReadOnlyConnectionError, WriteScopeError

CHEN = "{1fcf2575-422f-453e-a6c0-8e84deb19b38}"
FATIMA = "{1b1fc599-6475-4ade-b2e7-f0f73eb6c2dd}"
GORAN = "{eda6075b-f028-45d4-8a62-4a06df22931c}"
EMIL = "{1547dc9d-16aa-4c45-a903-f40fee459f33}"
KEY_1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBmVbGRzcWxkZXBsb3lrZXl0ZXN0a2V5MDAwMDAwMDAw one@test"
KEY_2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBmVbGRzcWxkZXBsb3lrZXl0ZXN0a2V5MDAwMDAwMDEw two@test"


@dataclass(frozen=True)
class Case:
    """A table's two-row INSERT, the raw-HTTP listing its rows appear in, and an UPDATE/DELETE
    target (``{head}`` is main's head commit of api, ``{pr}`` an open pull request of api)."""

    insert: str
    listing: str
    count: Callable[[list[dict[str, Any]]], int]
    where: str = "repository = 'api'"


def _named(field: str, *values: str) -> Callable[[list[dict[str, Any]]], int]:
    def count(items: list[dict[str, Any]]) -> int:
        return sum(1 for item in items if _dig(item, field) in values)

    return count


def _pairs(key: str, value: str, *pairs: tuple[str, str]) -> Callable[[list[dict[str, Any]]], int]:
    """Counts items whose (key, value) is one of ``pairs``: a permission granted, not merely present."""
    def count(items: list[dict[str, Any]]) -> int:
        return sum(1 for item in items if (_dig(item, key), _dig(item, value)) in pairs)

    return count


def _dig(item: dict[str, Any], dotted: str) -> Any:
    node: Any = item
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


CASES: dict[str, Case] = {
    "branches": Case("INSERT INTO branches (repository, name, target_hash) VALUES ('api', 'mx/1', '{head}'), "
                     "('api', 'mx/2', '{head}')", "/repositories/acme/api/refs/branches", _named("name", "mx/1", "mx/2")),
    "tags": Case("INSERT INTO tags (repository, name, target_hash) VALUES ('api', 'mx-1', '{head}'), "
                 "('api', 'mx-2', '{head}')", "/repositories/acme/api/refs/tags", _named("name", "mx-1", "mx-2")),
    "projects": Case("INSERT INTO projects (key, name) VALUES ('MXA', 'Matrix A'), ('MXB', 'Matrix B')",
                     "/workspaces/acme/projects", _named("key", "MXA", "MXB"), where="key = 'WEB'"),
    "repositories": Case("INSERT INTO repositories (slug, project_key) VALUES ('mx-a', 'API'), ('mx-b', 'API')",
                         "/repositories/acme", _named("slug", "mx-a", "mx-b"), where="slug = 'web'"),
    "forks": Case("INSERT INTO forks (repository, name) VALUES ('web', 'web-mx-a'), ('web', 'web-mx-b')",
                  "/repositories/acme/web/forks", _named("slug", "web-mx-a", "web-mx-b")),
    "pull_requests": Case(
        "INSERT INTO pull_requests (repository, title, source_branch_name, destination_branch_name) VALUES "
        "('api', 'Matrix A', 'mx-src/1', 'main'), ('api', 'Matrix B', 'mx-src/2', 'main')",
        "/repositories/acme/api/pullrequests?state=OPEN", _named("title", "Matrix A", "Matrix B"),
        where="repository = 'api' AND id = {pr}"),
    "pull_request_comments": Case(
        "INSERT INTO pull_request_comments (repository, pull_request_id, content_raw) VALUES "
        "('api', {pr}, 'matrix a'), ('api', {pr}, 'matrix b')",
        "/repositories/acme/api/pullrequests/{pr}/comments", _named("content.raw", "matrix a", "matrix b"),
        where="repository = 'api' AND pull_request_id = {pr}"),
    "pull_request_tasks": Case(
        "INSERT INTO pull_request_tasks (repository, pull_request_id, content_raw) VALUES "
        "('api', {pr}, 'matrix a'), ('api', {pr}, 'matrix b')",
        "/repositories/acme/api/pullrequests/{pr}/tasks", _named("content.raw", "matrix a", "matrix b"),
        where="repository = 'api' AND pull_request_id = {pr}"),
    "commit_statuses": Case(
        "INSERT INTO commit_statuses (repository, commit_hash, key, state, url) VALUES "
        "('api', '{head}', 'mx-a', 'SUCCESSFUL', 'https://ci.example.com/a'), "
        "('api', '{head}', 'mx-b', 'FAILED', 'https://ci.example.com/b')",
        "/repositories/acme/api/commit/{head}/statuses", _named("key", "mx-a", "mx-b"),
        where="repository = 'api' AND commit_hash = '{head}'"),
    "pipelines": Case(
        "INSERT INTO pipelines (repository, target_ref_name, target_selector_pattern) VALUES "
        "('api', 'main', 'mx-a'), ('api', 'main', 'mx-b')",
        "/repositories/acme/api/pipelines?sort=-created_on", _named("target.selector.pattern", "mx-a", "mx-b")),
    "pipeline_variables": Case(
        "INSERT INTO pipeline_variables (repository, key, value) VALUES ('api', 'MX_A', '1'), ('api', 'MX_B', '2')",
        "/repositories/acme/api/pipelines_config/variables", _named("key", "MX_A", "MX_B")),
    "workspace_pipeline_variables": Case(
        "INSERT INTO workspace_pipeline_variables (key, value) VALUES ('MX_A', '1'), ('MX_B', '2')",
        "/workspaces/acme/pipelines-config/variables", _named("key", "MX_A", "MX_B"), where="key = 'MX_NONE'"),
    "pipeline_schedules": Case(
        "INSERT INTO pipeline_schedules (repository, target_ref_name, target_selector_type, cron_pattern) VALUES "
        "('api', 'main', 'branches', '0 30 5 * * ? *'), ('api', 'main', 'branches', '0 45 6 * * ? *')",
        "/repositories/acme/api/pipelines_config/schedules", _named("cron_pattern", "0 30 5 * * ? *", "0 45 6 * * ? *")),
    "environments": Case(
        "INSERT INTO environments (repository, name, environment_type_name) VALUES ('api', 'MX A', 'Test'), "
        "('api', 'MX B', 'Test')", "/repositories/acme/api/environments", _named("name", "MX A", "MX B")),
    "branch_restrictions": Case(
        "INSERT INTO branch_restrictions (repository, kind, branch_match_kind, pattern) VALUES "
        "('api', 'delete', 'glob', 'mx-a/*'), ('api', 'force', 'glob', 'mx-b/*')",
        "/repositories/acme/api/branch-restrictions", _named("pattern", "mx-a/*", "mx-b/*")),
    "default_reviewers": Case(
        f"INSERT INTO default_reviewers (repository, uuid) VALUES ('api', '{CHEN}'), ('api', '{FATIMA}')",
        "/repositories/acme/api/default-reviewers", _named("uuid", CHEN, FATIMA)),
    "project_default_reviewers": Case(
        f"INSERT INTO project_default_reviewers (project_key, user_uuid) VALUES ('WEB', '{CHEN}'), "
        f"('WEB', '{EMIL}')", "/workspaces/acme/projects/WEB/default-reviewers", _named("user.uuid", CHEN, EMIL),
        where="project_key = 'WEB'"),
    "repository_webhooks": Case(
        "INSERT INTO repository_webhooks (repository, url, events) VALUES "
        "('api', 'https://hooks.example.com/a', '[\"repo:push\"]'), ('api', 'https://hooks.example.com/b', "
        "'[\"repo:push\"]')", "/repositories/acme/api/hooks",
        _named("url", "https://hooks.example.com/a", "https://hooks.example.com/b")),
    "workspace_webhooks": Case(
        "INSERT INTO workspace_webhooks (url, events) VALUES ('https://hooks.example.com/a', '[\"repo:push\"]'), "
        "('https://hooks.example.com/b', '[\"repo:push\"]')", "/workspaces/acme/hooks",
        _named("url", "https://hooks.example.com/a", "https://hooks.example.com/b"), where="url = 'https://none'"),
    "deploy_keys": Case(
        f"INSERT INTO deploy_keys (repository, key, label) VALUES ('api', '{KEY_1}', 'mx-a'), "
        f"('api', '{KEY_2}', 'mx-b')", "/repositories/acme/api/deploy-keys", _named("label", "mx-a", "mx-b")),
    "repository_user_permissions": Case(
        f"INSERT INTO repository_user_permissions (repository, user_uuid, permission) VALUES "
        f"('web', '{FATIMA}', 'read'), ('web', '{GORAN}', 'read')", "/repositories/acme/web/permissions-config/users",
        _pairs("user.uuid", "permission", (FATIMA, "read"), (GORAN, "read")), where="repository = 'web'"),
    "repository_group_permissions": Case(
        "INSERT INTO repository_group_permissions (repository, group_slug, permission) VALUES "
        "('mobile-app', 'administrators', 'admin'), ('mobile-app', 'developers', 'read')",
        "/repositories/acme/mobile-app/permissions-config/groups",
        _pairs("group.slug", "permission", ("administrators", "admin"), ("developers", "read")),
        where="repository = 'mobile-app'"),
    "project_user_permissions": Case(
        f"INSERT INTO project_user_permissions (project_key, user_uuid, permission) VALUES "
        f"('DATA', '{FATIMA}', 'read'), ('DATA', '{GORAN}', 'read')",
        "/workspaces/acme/projects/DATA/permissions-config/users",
        _pairs("user.uuid", "permission", (FATIMA, "read"), (GORAN, "read")),
        where="project_key = 'DATA'"),
    "project_group_permissions": Case(
        "INSERT INTO project_group_permissions (project_key, group_slug, permission) VALUES "
        "('OPS', 'administrators', 'read'), ('OPS', 'developers', 'read')",
        "/workspaces/acme/projects/OPS/permissions-config/groups",
        _pairs("group.slug", "permission", ("administrators", "read"), ("developers", "read")),
        where="project_key = 'OPS'"),
}

WRITABLE = sorted(table.name for table in all_tables() if table.operations)
OPERATIONS = [(name, kind) for name in WRITABLE for kind in get_table(name).operations]  # type: ignore[union-attr]


def fill(template: str, values: dict[str, Any]) -> str:
    """``{head}`` and ``{pr}`` filled in (not str.format: the user uuids have braces)."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template


def test_every_writable_table_has_a_case() -> None:
    assert sorted(CASES) == WRITABLE


def context(api: httpx.Client, emulator: EmulatorHandle) -> dict[str, Any]:
    head = api.get("/repositories/acme/api/refs/branches/main").json()["target"]["hash"]
    with emulator.store.lock:
        pulls = emulator.store.repo_data("acme", "api").pullrequests
        pr = min(number for number, pull in pulls.items() if pull["state"] == "OPEN")
    return {"head": head, "pr": pr}


def statement(name: str, kind: str, values: dict[str, Any]) -> str:
    case = CASES[name]
    table = get_table(name)
    assert table is not None
    if kind == "insert":
        return fill(case.insert, values)
    where = fill(case.where, values)
    if kind == "delete":
        return f"DELETE FROM {name} WHERE {where}"
    op = table.write_op("update")
    assert op is not None
    column = next(f.column for f in op.fields if table.column(f.column) is not None)
    return f"UPDATE {name} SET {column} = {column} WHERE {where}"


def held(api: httpx.Client, case: Case, values: dict[str, Any]) -> int:
    """How many of the case's rows Bitbucket holds, every page of the raw listing read."""
    url: str | None = fill(case.listing, values)
    found = 0
    while url:
        answer = api.get(url, params={"pagelen": 100} if "?" not in url and "pagelen" not in url else None)
        assert answer.status_code == 200, (url, answer.text[:300])
        page = answer.json()
        found += case.count(list(page.get("values", [])))
        url = page.get("next")
    return found


@pytest.mark.parametrize(("name", "kind"), OPERATIONS, ids=[f"{n}-{k}" for n, k in OPERATIONS])
def test_explain_sends_nothing_and_read_only_refuses(
    name: str, kind: str, make_engine: Callable[..., Engine], writable_emulator: EmulatorHandle, api: httpx.Client
) -> None:
    sql = statement(name, kind, context(api, writable_emulator))
    op = get_table(name).write_op(kind)  # type: ignore[union-attr]
    assert op is not None
    writable_emulator.reset_stats()
    plan = "\n".join(row[0] for row in make_engine().execute("EXPLAIN " + sql).rows)
    assert writable_emulator.write_requests() == {}, sql
    assert "none sent" in plan and (op.method in plan or "0 requests" in plan), plan
    writable_emulator.reset_stats()
    with pytest.raises(ReadOnlyConnectionError, match="ReadOnly=true"):
        make_engine(ReadOnly="true").execute(sql)
    assert writable_emulator.stats()["total"] == 0


#: tables whose INSERT needs a scope the read-only token lacks (Bitbucket lets the ``repository``
#: and ``pipeline`` read scopes post commit statuses, run pipelines and add environments)
SCOPED = [n for n in WRITABLE if (op := get_table(n).write_op("insert")) and op.scope not in READ_SCOPES]  # type: ignore[union-attr]


def test_most_inserts_need_a_write_scope() -> None:
    assert len(SCOPED) >= 19 and {"branches", "pull_requests", "repository_webhooks", "projects"} <= set(SCOPED)


@pytest.mark.parametrize("name", SCOPED)
def test_a_read_only_token_gets_the_scope_named(
    name: str, make_engine: Callable[..., Engine], writable_emulator: EmulatorHandle, api: httpx.Client
) -> None:
    values = context(api, writable_emulator)
    op = get_table(name).write_op("insert")  # type: ignore[union-attr]
    assert op is not None and op.scope
    engine = make_engine(AuthScheme=None, User=None, APIToken=None, AccessToken="demo-readonly-token")
    with pytest.raises(WriteScopeError) as raised:
        engine.execute(fill(CASES[name].insert, values))
    assert op.scope in str(raised.value) and "Traceback" not in str(raised.value)
    assert held(api, CASES[name], values) == 0


@pytest.mark.parametrize("name", [n for n in WRITABLE if get_table(n).write_op("insert")])  # type: ignore[union-attr]
def test_a_failure_on_the_second_row_reports_exactly_the_first(
    name: str, make_engine: Callable[..., Engine], writable_emulator: EmulatorHandle, api: httpx.Client,
    control: httpx.Client
) -> None:
    values = context(api, writable_emulator)
    engine = make_engine(MaxConcurrency=1, MaxRetries=1)  # one request at a time: the 2nd is the one that fails
    if name == "pull_requests":
        engine.execute(f"INSERT INTO branches (repository, name, target_hash) VALUES ('api', 'mx-src/1', "
                       f"'{values['head']}'), ('api', 'mx-src/2', '{values['head']}')")
    op = get_table(name).write_op("insert")  # type: ignore[union-attr]
    assert op is not None
    case = CASES[name]
    assert held(api, case, values) == 0
    armed = control.post("/faults", json={"outcome": "503", "nth": 2, "times": 5, "methods": [op.method]})
    assert armed.status_code == 200, armed.text
    with pytest.raises(PartialWriteError) as raised:
        engine.execute(fill(case.insert, values))
    error = raised.value
    assert len(error.written) == 1 and len(error.failed) + len(error.uncertain) == 1, str(error)
    assert "1 of 2 row(s) were written" in str(error) and "503" in str(error)
    control.delete("/faults")
    assert held(api, case, values) == 1  # Bitbucket holds exactly the row reported written
    assert all(outcome.row in str(error) for outcome in [*error.written, *error.failed, *error.uncertain])


def test_a_short_secret_is_masked_without_mangling_the_message() -> None:
    from bitbucket_sql.engine.writes.send import reason

    error = Exception('POST http://127.0.0.1:41000/2.0/x failed: 400; Bitbucket said {"value": "1"}')
    text = reason(error, ["1", "s3cr3t-token"])
    assert "http://127.0.0.1:41000/2.0/x" in text and "400" in text and '"value": "1"' not in text
    assert reason(Exception("echo s3cr3t-token here"), ["s3cr3t-token"]) == "echo ******** here"


def test_a_returning_list_failing_after_the_write_says_the_rows_stay_written(
    engine: Engine, api: httpx.Client, writable_emulator: EmulatorHandle
) -> None:
    from bitbucket_sql.engine.writes import WriteError

    number = context(api, writable_emulator)["pr"]
    with pytest.raises(WriteError, match="wrote 1 row\\(s\\), which stay written, but its RETURNING list failed"):
        engine.execute(f"UPDATE pull_requests SET title = 'not a number' WHERE repository = 'api' AND id = {number} "
                       f"RETURNING CAST(title AS INTEGER)")
    assert api.get(f"/repositories/acme/api/pullrequests/{number}").json()["title"] == "not a number"

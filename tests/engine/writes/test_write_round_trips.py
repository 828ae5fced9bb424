"""Every writable table, round trip: write through SQL, read back through SQL, and check over raw
HTTP that the emulator holds what Bitbucket would (the engine's answer is never its own witness)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from bitbucket_sql.engine import Engine

REPO = "api"
#: Chen Larsen, a member of workspace acme (admin on api; not a default reviewer there)
CHEN = "{1fcf2575-422f-453e-a6c0-8e84deb19b38}"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBmVbGRzcWxkZXBsb3lrZXl0ZXN0a2V5MDAwMDAwMDAw bbsql@test"


def ok(api: httpx.Client, path: str) -> dict[str, Any]:
    answer = api.get(path)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    body: dict[str, Any] = answer.json()
    return body


def gone(api: httpx.Client, path: str) -> None:
    answer = api.get(path)
    assert answer.status_code == 404, (path, answer.status_code, answer.text[:300])


def braced(uuid: str) -> str:
    return quote(uuid, safe="")


def main_head(api: httpx.Client) -> str:
    return str(ok(api, f"/repositories/acme/{REPO}/refs/branches/main")["target"]["hash"])


def test_branches_and_tags(engine: Engine, api: httpx.Client) -> None:
    head = main_head(api)
    result = engine.execute(
        "INSERT INTO branches (repository, name, target_hash) VALUES (?, 'feature/from-sql', ?) "
        "RETURNING name, target_hash, html_url", [REPO, head])
    assert result.affected_rows == 1
    assert result.rows == [("feature/from-sql", head, f"https://bitbucket.org/acme/{REPO}/branch/feature/from-sql")]
    assert ok(api, f"/repositories/acme/{REPO}/refs/branches/feature/from-sql")["target"]["hash"] == head
    assert engine.execute(f"SELECT target_hash FROM branches WHERE repository = '{REPO}' AND name = 'feature/from-sql'"
                          ).rows == [(head,)]
    engine.execute("INSERT INTO tags (repository, name, target_hash, message) VALUES (?, 'v9.9.9', ?, 'from SQL')",
                   [REPO, head])
    assert ok(api, f"/repositories/acme/{REPO}/refs/tags/v9.9.9")["target"]["hash"] == head
    deleted = engine.execute(f"DELETE FROM branches WHERE repository = '{REPO}' AND name = 'feature/from-sql' "
                             f"RETURNING name")
    assert deleted.affected_rows == 1 and deleted.rows == [("feature/from-sql",)]
    gone(api, f"/repositories/acme/{REPO}/refs/branches/feature/from-sql")
    assert engine.execute(f"DELETE FROM tags WHERE repository = '{REPO}' AND name = 'v9.9.9'").affected_rows == 1
    gone(api, f"/repositories/acme/{REPO}/refs/tags/v9.9.9")


def test_projects(engine: Engine, api: httpx.Client) -> None:
    created = engine.execute("INSERT INTO projects (key, name, description, is_private) "
                             "VALUES ('SQLW', 'Written by SQL', 'first', TRUE) RETURNING key, uuid, created_on")
    key, uuid, created_on = created.rows[0]
    assert key == "SQLW" and uuid.startswith("{") and created_on is not None
    assert ok(api, "/workspaces/acme/projects/SQLW")["description"] == "first"
    updated = engine.execute("UPDATE projects SET description = description || ', then second' WHERE key = 'SQLW' "
                             "RETURNING description")
    assert updated.rows == [("first, then second",)]
    assert ok(api, "/workspaces/acme/projects/SQLW")["name"] == "Written by SQL"  # full body kept the name
    assert engine.execute("SELECT description FROM projects WHERE key = 'SQLW'").rows == [("first, then second",)]
    assert engine.execute("DELETE FROM projects WHERE key = 'SQLW'").affected_rows == 1
    gone(api, "/workspaces/acme/projects/SQLW")


def test_repositories_and_forks(engine: Engine, api: httpx.Client) -> None:
    result = engine.execute("INSERT INTO repositories (slug, name, project_key, is_private, description) "
                            "VALUES ('sql-made', 'sql-made', 'API', TRUE, 'made by SQL') RETURNING full_name, uuid")
    assert result.rows[0][0] == "acme/sql-made"
    assert ok(api, "/repositories/acme/sql-made")["project"]["key"] == "API"
    engine.execute("UPDATE repositories SET description = 'changed', language = 'python' WHERE slug = 'sql-made'")
    body = ok(api, "/repositories/acme/sql-made")
    assert (body["description"], body["language"]) == ("changed", "python")
    fork = engine.execute("INSERT INTO forks (repository, name) VALUES ('sql-made', 'sql-made-fork') "
                          "RETURNING repository, full_name")
    assert fork.rows == [("sql-made", "acme/sql-made-fork")]
    assert ok(api, "/repositories/acme/sql-made-fork")["parent"]["full_name"] == "acme/sql-made"
    assert engine.execute("SELECT full_name FROM forks WHERE repository = 'sql-made'").rows == [("acme/sql-made-fork",)]
    assert engine.execute("DELETE FROM repositories WHERE slug IN ('sql-made-fork', 'sql-made')").affected_rows == 2
    gone(api, "/repositories/acme/sql-made")


def test_pull_requests_comments_and_tasks(engine: Engine, api: httpx.Client) -> None:
    engine.execute("INSERT INTO branches (repository, name, target_hash) VALUES (?, 'feature/sql-pr', ?)",
                   [REPO, main_head(api)])
    opened = engine.execute(
        "INSERT INTO pull_requests (repository, title, source_branch_name, destination_branch_name, description) "
        "VALUES (?, 'Opened from SQL', 'feature/sql-pr', 'main', 'body') RETURNING id, state, created_on, html_url",
        [REPO])
    pr_id, state, created_on, html_url = opened.rows[0]
    assert state == "OPEN" and created_on is not None and html_url.endswith(f"/pull-requests/{pr_id}")
    pr_path = f"/repositories/acme/{REPO}/pullrequests/{pr_id}"
    assert ok(api, pr_path)["title"] == "Opened from SQL"
    engine.execute("UPDATE pull_requests SET title = upper(title) WHERE repository = ? AND id = ?", [REPO, pr_id])
    assert ok(api, pr_path)["title"] == "OPENED FROM SQL"
    assert ok(api, pr_path)["description"] == "body"  # only SET columns were sent

    comment = engine.execute("INSERT INTO pull_request_comments (repository, pull_request_id, content_raw) "
                             "VALUES (?, ?, 'LGTM from SQL') RETURNING id, user_uuid", [REPO, pr_id])
    comment_id = comment.rows[0][0]
    assert ok(api, f"{pr_path}/comments/{comment_id}")["content"]["raw"] == "LGTM from SQL"
    engine.execute("UPDATE pull_request_comments SET content_raw = 'edited' WHERE repository = ? "
                   "AND pull_request_id = ? AND id = ?", [REPO, pr_id, comment_id])
    assert ok(api, f"{pr_path}/comments/{comment_id}")["content"]["raw"] == "edited"

    task = engine.execute("INSERT INTO pull_request_tasks (repository, pull_request_id, content_raw) "
                          "VALUES (?, ?, 'write the docs') RETURNING id, state", [REPO, pr_id])
    task_id, task_state = task.rows[0]
    assert task_state == "UNRESOLVED"
    engine.execute("UPDATE pull_request_tasks SET state = 'RESOLVED' WHERE repository = ? AND pull_request_id = ? "
                   "AND id = ?", [REPO, pr_id, task_id])
    assert ok(api, f"{pr_path}/tasks/{task_id}")["state"] == "RESOLVED"
    assert engine.execute("DELETE FROM pull_request_tasks WHERE repository = ? AND pull_request_id = ? AND id = ?",
                          [REPO, pr_id, task_id]).affected_rows == 1
    gone(api, f"{pr_path}/tasks/{task_id}")
    engine.execute("DELETE FROM pull_request_comments WHERE repository = ? AND pull_request_id = ? AND id = ?",
                   [REPO, pr_id, comment_id])
    answer = api.get(f"{pr_path}/comments/{comment_id}")
    assert answer.status_code == 404 or answer.json().get("deleted") is True


def test_commit_statuses(engine: Engine, api: httpx.Client) -> None:
    head = main_head(api)
    engine.execute("INSERT INTO commit_statuses (repository, commit_hash, key, state, url, name) "
                   "VALUES (?, ?, 'sql-ci', 'INPROGRESS', 'https://ci.example.com/1', 'SQL CI')", [REPO, head])
    path = f"/repositories/acme/{REPO}/commit/{head}/statuses/build/sql-ci"
    assert ok(api, path)["state"] == "INPROGRESS"
    updated = engine.execute("UPDATE commit_statuses SET state = 'SUCCESSFUL' WHERE repository = ? AND commit_hash = ? "
                             "AND key = 'sql-ci' RETURNING key, state", [REPO, head])
    assert updated.rows == [("sql-ci", "SUCCESSFUL")]
    assert ok(api, path)["state"] == "SUCCESSFUL"


def test_pipelines_are_triggered_by_insert(engine: Engine, api: httpx.Client) -> None:
    run = engine.execute("INSERT INTO pipelines (repository, target_ref_name) VALUES (?, 'main') "
                         "RETURNING uuid, build_number, target_ref_name, state_name", [REPO])
    uuid, build_number, ref_name, state_name = run.rows[0]
    assert ref_name == "main" and state_name in ("PENDING", "IN_PROGRESS") and build_number > 0
    assert ok(api, f"/repositories/acme/{REPO}/pipelines/{braced(uuid)}")["build_number"] == build_number
    custom = engine.execute(
        "INSERT INTO pipelines (repository, target_ref_name, target_selector_pattern, variables) "
        "VALUES (?, 'main', 'deploy-docs', ?) RETURNING target_selector_type, target_selector_pattern, has_variables",
        [REPO, json.dumps([{"key": "TARGET", "value": "staging"}])])
    assert custom.rows == [("custom", "deploy-docs", True)]
    assert engine.execute(f"SELECT count(*) FROM pipelines WHERE repository = '{REPO}' AND uuid = ?",
                          [uuid]).rows == [(1,)]


@pytest.mark.parametrize("workspace_level", [False, True], ids=["repository", "workspace"])
def test_pipeline_variables(engine: Engine, api: httpx.Client, workspace_level: bool) -> None:
    table, base, scope = (
        ("workspace_pipeline_variables", "/workspaces/acme/pipelines-config/variables", "")
        if workspace_level else
        ("pipeline_variables", f"/repositories/acme/{REPO}/pipelines_config/variables", f"repository = '{REPO}' AND ")
    )
    columns, values = ("key, value, secured", "'SQL_TOKEN', 'hunter2-secret', TRUE") if workspace_level else (
        "repository, key, value, secured", f"'{REPO}', 'SQL_TOKEN', 'hunter2-secret', TRUE")
    created = engine.execute(f"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING uuid, key, value, secured")
    uuid, key, value, secured = created.rows[0]
    assert (key, value, secured) == ("SQL_TOKEN", None, True)  # secured values read back masked, as the API does
    held = ok(api, f"{base}/{braced(uuid)}")
    assert held["secured"] is True and "hunter2-secret" not in json.dumps(held)
    engine.execute(f"UPDATE {table} SET secured = FALSE, value = 'visible' WHERE {scope}key = 'SQL_TOKEN'")
    assert ok(api, f"{base}/{braced(uuid)}")["value"] == "visible"
    assert engine.execute(f"SELECT value FROM {table} WHERE {scope}key = 'SQL_TOKEN'").rows == [("visible",)]
    assert engine.execute(f"DELETE FROM {table} WHERE {scope}key = 'SQL_TOKEN'").affected_rows == 1
    gone(api, f"{base}/{braced(uuid)}")


def test_pipeline_schedules(engine: Engine, api: httpx.Client) -> None:
    created = engine.execute(
        "INSERT INTO pipeline_schedules (repository, target_ref_name, target_selector_type, cron_pattern) "
        "VALUES (?, 'main', 'branches', '0 0 12 * * ? *') RETURNING uuid, enabled", [REPO])
    uuid, enabled = created.rows[0]
    assert enabled is True
    path = f"/repositories/acme/{REPO}/pipelines_config/schedules/{braced(uuid)}"
    assert ok(api, path)["cron_pattern"] == "0 0 12 * * ? *"
    engine.execute("UPDATE pipeline_schedules SET enabled = FALSE WHERE repository = ? AND uuid = ?", [REPO, uuid])
    assert ok(api, path)["enabled"] is False
    engine.execute("DELETE FROM pipeline_schedules WHERE repository = ? AND uuid = ?", [REPO, uuid])
    gone(api, path)


def test_environments(engine: Engine, api: httpx.Client) -> None:
    created = engine.execute("INSERT INTO environments (repository, name, environment_type_name) "
                             "VALUES (?, 'QA from SQL', 'Test') RETURNING uuid, name, environment_type_name", [REPO])
    uuid, name, kind = created.rows[0]
    assert (name, kind) == ("QA from SQL", "Test")
    assert ok(api, f"/repositories/acme/{REPO}/environments/{braced(uuid)}")["name"] == "QA from SQL"
    engine.execute("DELETE FROM environments WHERE repository = ? AND name = 'QA from SQL'", [REPO])
    gone(api, f"/repositories/acme/{REPO}/environments/{braced(uuid)}")


def test_branch_restrictions(engine: Engine, api: httpx.Client) -> None:
    created = engine.execute("INSERT INTO branch_restrictions (repository, kind, branch_match_kind, pattern) "
                             "VALUES (?, 'delete', 'glob', 'release/*') RETURNING id", [REPO])
    restriction_id = created.rows[0][0]
    path = f"/repositories/acme/{REPO}/branch-restrictions/{restriction_id}"
    assert ok(api, path)["pattern"] == "release/*"
    engine.execute("UPDATE branch_restrictions SET pattern = 'hotfix/*' WHERE repository = ? AND id = ?",
                   [REPO, restriction_id])
    assert (ok(api, path)["pattern"], ok(api, path)["kind"]) == ("hotfix/*", "delete")
    engine.execute("DELETE FROM branch_restrictions WHERE repository = ? AND id = ?", [REPO, restriction_id])
    gone(api, path)


def test_default_reviewers(engine: Engine, api: httpx.Client) -> None:
    engine.execute("INSERT INTO default_reviewers (repository, uuid) VALUES (?, ?)", [REPO, CHEN])
    assert ok(api, f"/repositories/acme/{REPO}/default-reviewers/{braced(CHEN)}")["uuid"] == CHEN
    assert engine.execute("SELECT display_name FROM default_reviewers WHERE repository = ? AND uuid = ?",
                          [REPO, CHEN]).rows == [("Chen Larsen",)]
    engine.execute("DELETE FROM default_reviewers WHERE repository = ? AND uuid = ?", [REPO, CHEN])
    gone(api, f"/repositories/acme/{REPO}/default-reviewers/{braced(CHEN)}")
    engine.execute("INSERT INTO project_default_reviewers (project_key, user_uuid) VALUES ('WEB', ?)", [CHEN])
    held = ok(api, "/workspaces/acme/projects/WEB/default-reviewers")
    assert CHEN in json.dumps(held)
    engine.execute("DELETE FROM project_default_reviewers WHERE project_key = 'WEB' AND user_uuid = ?", [CHEN])
    assert CHEN not in json.dumps(ok(api, "/workspaces/acme/projects/WEB/default-reviewers"))


@pytest.mark.parametrize("table", ["repository_webhooks", "workspace_webhooks"])
def test_webhooks_keep_their_secret_secret(engine: Engine, api: httpx.Client, table: str) -> None:
    base = f"/repositories/acme/{REPO}/hooks" if table == "repository_webhooks" else "/workspaces/acme/hooks"
    columns = "repository, " if table == "repository_webhooks" else ""
    values = f"'{REPO}', " if table == "repository_webhooks" else ""
    created = engine.execute(
        f"INSERT INTO {table} ({columns}url, events, description, secret) VALUES "
        f"({values}'https://hooks.example.com/sql', '[\"repo:push\"]', 'from SQL', 'sig-secret-123') "
        f"RETURNING uuid, secret_set, active")
    uuid, secret_set, active = created.rows[0]
    assert secret_set is True and active is True
    held = ok(api, f"{base}/{braced(uuid)}")
    assert held["url"] == "https://hooks.example.com/sql" and "sig-secret-123" not in json.dumps(held)
    where = f"repository = '{REPO}' AND " if columns else ""
    engine.execute(f"UPDATE {table} SET active = FALSE WHERE {where}uuid = ?", [uuid])
    assert ok(api, f"{base}/{braced(uuid)}")["active"] is False
    assert engine.execute(f"DELETE FROM {table} WHERE {where}uuid = ?", [uuid]).affected_rows == 1
    gone(api, f"{base}/{braced(uuid)}")


def test_deploy_keys(engine: Engine, api: httpx.Client) -> None:
    created = engine.execute("INSERT INTO deploy_keys (repository, key, label) VALUES (?, ?, 'ci') "
                             "RETURNING id, label", [REPO, SSH_KEY])
    key_id, label = created.rows[0]
    assert label == "ci"
    path = f"/repositories/acme/{REPO}/deploy-keys/{key_id}"
    assert ok(api, path)["key"].startswith("ssh-ed25519 AAAAC3")
    engine.execute("UPDATE deploy_keys SET label = 'ci-renamed' WHERE repository = ? AND id = ?", [REPO, key_id])
    assert ok(api, path)["label"] == "ci-renamed"
    engine.execute("DELETE FROM deploy_keys WHERE repository = ? AND id = ?", [REPO, key_id])
    gone(api, path)


@pytest.mark.parametrize(
    ("table", "scope_column", "scope_value", "key_column", "key_value", "base"),
    [
        ("repository_user_permissions", "repository", REPO, "user_uuid", CHEN,
         f"/repositories/acme/{REPO}/permissions-config/users/"),
        ("repository_group_permissions", "repository", REPO, "group_slug", "administrators",
         f"/repositories/acme/{REPO}/permissions-config/groups/"),
        ("project_user_permissions", "project_key", "WEB", "user_uuid", CHEN,
         "/workspaces/acme/projects/WEB/permissions-config/users/"),
        ("project_group_permissions", "project_key", "WEB", "group_slug", "administrators",
         "/workspaces/acme/projects/WEB/permissions-config/groups/"),
    ],
)
def test_permissions(engine: Engine, api: httpx.Client, table: str, scope_column: str, scope_value: str,
                     key_column: str, key_value: str, base: str) -> None:
    engine.execute(f"DELETE FROM {table} WHERE {scope_column} = ? AND {key_column} = ?", [scope_value, key_value])
    path = base + (braced(key_value) if key_value.startswith("{") else key_value)
    gone(api, path)
    granted = engine.execute(f"INSERT INTO {table} ({scope_column}, {key_column}, permission) VALUES (?, ?, 'read') "
                             f"RETURNING permission, {key_column}", [scope_value, key_value])
    assert granted.rows == [("read", key_value)]
    assert ok(api, path)["permission"] == "read"
    engine.execute(f"UPDATE {table} SET permission = 'write' WHERE {scope_column} = ? AND {key_column} = ?",
                   [scope_value, key_value])
    assert ok(api, path)["permission"] == "write"
    assert engine.execute(f"SELECT permission FROM {table} WHERE {scope_column} = ? AND {key_column} = ?",
                          [scope_value, key_value]).rows == [("write",)]
    assert engine.execute(f"DELETE FROM {table} WHERE {scope_column} = ? AND {key_column} = ?",
                          [scope_value, key_value]).affected_rows == 1
    gone(api, path)

"""The later tables (Code Insights, commit comments, files, runners, keys, snippets, hook events)
answer through SQL exactly what the API answers, read here by plain HTTP.

Ground truth is taken straight from the emulator with httpx (every page followed, no catalog
code), so a wrong path, key or pushdown in the catalog or the engine shows up as a difference.
"""

from __future__ import annotations

import json
import re
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from engine_helpers import canonical, settings_for

from bitbucket_sql.emulator import run_emulator
from bitbucket_sql.emulator.generator import generate
from bitbucket_sql.engine import Engine, FanoutLimitError
from bitbucket_sql.engine.errors import KeyNotFoundError
from bitbucket_sql.engine.raw_content import FileTooLargeError

DEMO = ("demo@example.com", "demo-api-token")
DEMO_UUID = "{d3a0d3a0-0000-4000-8000-00000000d3a0}"
REPO = "/repositories/acme/api"


@pytest.fixture(scope="module")
def http(emulator: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, auth=DEMO, timeout=30) as client:
        yield client


def listing(http: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a collection, following ``next`` links."""
    items: list[dict[str, Any]] = []
    url: str | None = path
    query: dict[str, Any] | None = {"pagelen": 100, **params}
    while url:
        response = http.get(url, params=query)
        assert response.status_code == 200, (url, response.text[:200])
        body = response.json()
        items += body["values"]
        url, query = body.get("next"), None
    return items


def get(item: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        item = item.get(part) if isinstance(item, dict) else None
    return item


def encoded(value: str) -> str:
    return quote(value, safe="")


def commits_of(http: httpx.Client) -> list[str]:
    return [commit["hash"] for commit in listing(http, f"{REPO}/commits")]


@pytest.fixture(scope="module")
def truth(http: httpx.Client) -> dict[str, set[tuple[Any, ...]]]:
    """Per table, the rows the API holds for acme (acme/api for repository tables), by HTTP."""
    found: dict[str, set[tuple[Any, ...]]] = {}
    commits = commits_of(http)
    reports, annotations, comments, containing = set(), set(), set(), set()
    for sha in commits:
        for report in listing(http, f"{REPO}/commit/{sha}/reports"):
            reports.add((sha, report["uuid"], report["report_type"], report["result"]))
            for annotation in listing(http, f"{REPO}/commit/{sha}/reports/{encoded(report['uuid'])}/annotations"):
                annotations.add((sha, report["uuid"], annotation["uuid"], annotation["severity"], annotation["path"]))
        for comment in listing(http, f"{REPO}/commit/{sha}/comments"):
            comments.add((sha, comment["id"], comment["content"]["raw"], comment["user"]["uuid"]))
        for pull_request in listing(http, f"{REPO}/commit/{sha}/pullrequests"):
            containing.add((sha, pull_request["id"], pull_request["state"]))
    found["commit_reports"] = reports
    found["commit_report_annotations"] = annotations
    found["commit_comments"] = comments
    found["commit_pull_requests"] = containing
    found["pipeline_caches"] = {(c["uuid"], c["name"], c["file_size_bytes"]) for c in
                                listing(http, f"{REPO}/pipelines-config/caches")}
    found["repository_runners"] = {(r["uuid"], r["name"], r["state"]["status"]) for r in
                                   listing(http, f"{REPO}/pipelines-config/runners")}
    found["workspace_runners"] = {(r["uuid"], r["name"], r["state"]["status"]) for r in
                                  listing(http, "/workspaces/acme/pipelines-config/runners")}
    found["pipeline_known_hosts"] = {(h["uuid"], h["hostname"], h["public_key"]["key_type"]) for h in
                                     listing(http, f"{REPO}/pipelines_config/ssh/known_hosts")}
    executions, variables = set(), set()
    for schedule in listing(http, f"{REPO}/pipelines_config/schedules"):
        for execution in listing(http, f"{REPO}/pipelines_config/schedules/{encoded(schedule['uuid'])}/executions"):
            executions.add((schedule["uuid"], execution["type"], get(execution, "pipeline.uuid"),
                            get(execution, "error.message")))
    for environment in listing(http, f"{REPO}/environments"):
        path = f"{REPO}/deployments_config/environments/{encoded(environment['uuid'])}/variables"
        for variable in listing(http, path):
            variables.add((environment["uuid"], variable["uuid"], variable["key"], variable.get("value"),
                           variable["secured"]))
    found["pipeline_schedule_executions"] = executions
    found["deployment_variables"] = variables
    found["effective_default_reviewers"] = {(r["user"]["uuid"], r["reviewer_type"]) for r in
                                            listing(http, f"{REPO}/effective-default-reviewers")}
    keys = set()
    for project in listing(http, "/workspaces/acme/projects"):
        for key in listing(http, f"/workspaces/acme/projects/{project['key']}/deploy-keys"):
            keys.add((project["key"], key["id"], key["label"], key["created_by"]["uuid"]))
    found["project_deploy_keys"] = keys
    me = encoded(DEMO_UUID)
    found["user_ssh_keys"] = {(DEMO_UUID, k["uuid"], k["label"], k["fingerprint"]) for k in
                              listing(http, f"/users/{me}/ssh-keys")}
    found["user_gpg_keys"] = {(DEMO_UUID, k["fingerprint"], k["key_id"]) for k in listing(http, f"/users/{me}/gpg-keys")}
    found["user_pipeline_variables"] = {(DEMO_UUID, v["uuid"], v["key"], v.get("value"), v["secured"]) for v in
                                        listing(http, f"/users/{me}/pipelines_config/variables")}
    snippets, snippet_comments, snippet_commits, watchers = set(), set(), set(), set()
    for snippet in listing(http, "/snippets/acme"):
        ident = str(snippet["id"])
        snippets.add((ident, snippet["title"], snippet["is_private"], snippet["creator"]["uuid"]))
        snippet_comments |= {(ident, c["id"], c["content"]["raw"]) for c in listing(http, f"/snippets/acme/{ident}/comments")}
        snippet_commits |= {(ident, c["hash"], c["message"]) for c in listing(http, f"/snippets/acme/{ident}/commits")}
        watchers |= {(ident, w["uuid"]) for w in listing(http, f"/snippets/acme/{ident}/watchers")}
    found.update(snippets=snippets, snippet_comments=snippet_comments, snippet_commits=snippet_commits,
                 snippet_watchers=watchers)
    found["hook_events"] = {(kind, e["event"], e["category"]) for kind in ("repository", "workspace")
                            for e in listing(http, f"/hook_events/{kind}")}
    return found


#: table -> the SQL whose rows equal the HTTP truth of the same name
QUERIES = {
    "commit_reports": "SELECT commit_hash, uuid, report_type, result FROM commit_reports WHERE repository = 'api'",
    "commit_report_annotations": "SELECT commit_hash, report_uuid, uuid, severity, path "
    "FROM commit_report_annotations WHERE repository = 'api'",
    "commit_comments": "SELECT commit_hash, id, content_raw, user_uuid FROM commit_comments WHERE repository = 'api'",
    "commit_pull_requests": "SELECT commit_hash, id, state FROM commit_pull_requests WHERE repository = 'api'",
    "pipeline_caches": "SELECT uuid, name, file_size_bytes FROM pipeline_caches WHERE repository = 'api'",
    "repository_runners": "SELECT uuid, name, state_status FROM repository_runners WHERE repository = 'api'",
    "workspace_runners": "SELECT uuid, name, state_status FROM workspace_runners",
    "pipeline_known_hosts": "SELECT uuid, hostname, key_type FROM pipeline_known_hosts WHERE repository = 'api'",
    "pipeline_schedule_executions": "SELECT schedule_uuid, type, pipeline_uuid, error_message "
    "FROM pipeline_schedule_executions WHERE repository = 'api'",
    "deployment_variables": "SELECT environment_uuid, uuid, key, value, secured FROM deployment_variables "
    "WHERE repository = 'api'",
    "effective_default_reviewers": "SELECT user_uuid, reviewer_type FROM effective_default_reviewers "
    "WHERE repository = 'api'",
    "project_deploy_keys": "SELECT project_key, id, label, created_by_uuid FROM project_deploy_keys",
    "user_ssh_keys": "SELECT user_uuid, uuid, label, fingerprint FROM user_ssh_keys",
    "user_gpg_keys": "SELECT user_uuid, fingerprint, key_id FROM user_gpg_keys",
    "user_pipeline_variables": "SELECT user_uuid, uuid, key, value, secured FROM user_pipeline_variables",
    "snippets": "SELECT id, title, is_private, creator_uuid FROM snippets",
    "snippet_comments": "SELECT snippet_id, id, content_raw FROM snippet_comments",
    "snippet_commits": "SELECT snippet_id, hash, message FROM snippet_commits",
    "snippet_watchers": "SELECT snippet_id, uuid FROM snippet_watchers",
    "hook_events": "SELECT subject_type, event, category FROM hook_events",
}


@pytest.mark.parametrize("table", sorted(QUERIES))
def test_table_equals_the_api_read_by_http(engine: Engine, truth: dict[str, set[tuple[Any, ...]]], table: str) -> None:
    rows = engine.execute(QUERIES[table]).rows
    assert rows, f"{table}: the demo data should have rows"
    assert len(rows) == len(set(rows)), f"{table}: duplicate rows"
    assert canonical(rows) == canonical(list(truth[table]))


def test_sys_tables_and_the_docs_list_the_new_tables(engine: Engine) -> None:
    listed = {row[0] for row in engine.execute("SELECT TableName FROM sys_tables").rows}
    documented = (Path(__file__).parents[2] / "docs" / "tables.md").read_text(encoding="utf-8")
    for name in [*QUERIES, "files", "file_contents", "file_history"]:
        assert name in listed, name
        assert f"\n## {name}\n" in documented, name


def test_secured_variables_are_masked_as_the_api_masks_them(engine: Engine) -> None:
    rows = engine.execute("SELECT key, value, secured FROM deployment_variables WHERE repository = 'api'").rows
    assert {secured for _, _, secured in rows} == {True, False}
    assert all(value is None for _, value, secured in rows if secured)
    assert all(value for _, value, secured in rows if not secured)


def test_snippet_comments_come_oldest_first_and_the_newest_few_are_one_request_each(
    engine: Engine, reference: Engine, http: httpx.Client
) -> None:
    snippet = max(listing(http, "/snippets/acme"), key=lambda s: len(listing(http, f"/snippets/acme/{s['id']}/comments")))
    stamps = [c["created_on"] for c in listing(http, f"/snippets/acme/{snippet['id']}/comments")]
    assert len(stamps) > 1 and stamps == sorted(stamps)  # the API's default order
    sql = (
        f"SELECT id, created_on FROM snippet_comments WHERE snippet_id = '{snippet['id']}' "
        "ORDER BY created_on DESC LIMIT 1"
    )
    with engine.client.recording() as recording:
        rows = engine.execute(sql).rows
    assert rows == reference.execute(sql).rows
    assert ["sort=-created_on" in record.url for record in recording.records] == [True]


def test_failed_reports_annotate_files_the_commit_changed(engine: Engine, http: httpx.Client) -> None:
    """"Which commits failed the security scan, and where": findings sit on the commit's own files."""
    rows = engine.execute(
        "SELECT r.commit_hash, r.report_type, a.annotation_type, a.path FROM commit_reports r "
        "JOIN commit_report_annotations a ON a.report_uuid = r.uuid AND a.commit_hash = r.commit_hash "
        "AND a.repository = r.repository WHERE r.repository = 'api' AND r.result = 'FAILED'"
    ).rows
    assert {row[1] for row in rows} >= {"SECURITY"}
    for sha, report_type, annotation_type, path in rows:
        changed = {(e["new"] or e["old"])["path"] for e in listing(http, f"{REPO}/diffstat/{sha}")}
        assert path in changed, (sha, path)
        assert annotation_type == {"SECURITY": "VULNERABILITY", "TEST": "BUG"}[report_type]


def stamp(value: str | datetime | None) -> str | None:
    """An API timestamp or a TIMESTAMPTZ value as ISO text in UTC (comparable whatever the tzinfo)."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(UTC).isoformat()


@pytest.mark.parametrize(
    ("table", "path"),
    [("workspace_runners", "/workspaces/acme/pipelines-config/runners"),
     ("repository_runners", f"{REPO}/pipelines-config/runners")],
)
def test_every_runner_column_equals_the_api(engine: Engine, http: httpx.Client, table: str, path: str) -> None:
    """State, labels, versions and last report: what "which runners are offline" is answered with."""
    where = " WHERE repository = 'api'" if table == "repository_runners" else ""
    rows = engine.execute(
        "SELECT uuid, name, labels, state_status, state_cordoned, state_updated_on, version, current_version, "
        f"created_on, updated_on FROM {table}{where}"
    ).rows
    expected = [
        (r["uuid"], r["name"], json.dumps(r["labels"]), r["state"]["status"], r["state"]["cordoned"],
         stamp(r["state"]["updated_on"]), r["state"]["version"]["version"], r["state"]["version"]["current"],
         stamp(r["created_on"]), stamp(r["updated_on"]))
        for r in listing(http, path)
    ]
    normalised = [
        (*row[:2], json.dumps(json.loads(row[2])), *row[3:5], stamp(row[5]), *row[6:8], stamp(row[8]), stamp(row[9]))
        for row in rows
    ]
    assert rows and canonical(normalised) == canonical(expected)


def test_runners_are_in_several_states_and_report_as_their_state_says(engine: Engine) -> None:
    present = engine.execute("SELECT max(updated_on) FROM repositories").rows[0][0]
    rows = engine.execute(
        "SELECT state_status, created_on, state_updated_on FROM workspace_runners UNION ALL "
        "SELECT state_status, created_on, state_updated_on FROM repository_runners"
    ).rows
    assert {status for status, _, _ in rows} >= {"ONLINE", "OFFLINE", "UNHEALTHY", "DISABLED"}
    assert all(created <= seen <= present for _, created, seen in rows)  # never seen in the future
    online = [seen for status, _, seen in rows if status == "ONLINE"]
    assert all((present - seen).total_seconds() < 3600 for seen in online)  # an online runner reported lately
    offline = engine.execute("SELECT name FROM workspace_runners WHERE state_status = 'OFFLINE'").rows
    assert offline  # every workspace has one: what "which runners are offline" looks for


def test_hook_events_need_no_request_for_the_subject_types(engine: Engine) -> None:
    result = engine.execute("SELECT count(*) FROM hook_events")
    assert result.stats.requests == 2  # /hook_events/repository and /hook_events/workspace


# --- files, file contents, file history -----------------------------------------------------


def tree(http: httpx.Client, ref: str) -> list[dict[str, Any]]:
    return listing(http, f"{REPO}/src/{encoded(ref)}/", max_depth=20)


def test_files_lists_the_whole_tree_at_a_ref_in_one_listing(engine: Engine, http: httpx.Client, emulator: Any) -> None:
    expected = {(e["path"], e["type"], e.get("size"), e["path"].count("/") + 1) for e in tree(http, "main")}
    emulator.reset_stats()
    result = engine.execute("SELECT path, type, size, depth FROM files WHERE repository = 'api' AND ref = 'main'")
    assert canonical(result.rows) == canonical(list(expected))
    assert {"bitbucket-pipelines.yml", "CODEOWNERS", "docs/images/logo.png"} <= {row[0] for row in result.rows}
    assert result.stats.requests == 1


def test_files_at_a_branch_whose_name_holds_a_slash(engine: Engine, http: httpx.Client) -> None:
    branch = next(b["name"] for b in listing(http, f"{REPO}/refs/branches") if "/" in b["name"])
    rows = engine.execute("SELECT path FROM files WHERE repository = 'api' AND ref = ?", [branch]).rows
    assert sorted(row[0] for row in rows) == sorted(e["path"] for e in tree(http, branch))


def test_file_contents_are_the_raw_bytes_decoded(engine: Engine, http: httpx.Client) -> None:
    rows = engine.execute(
        "SELECT path, size, is_binary, text FROM file_contents WHERE repository = 'api' AND ref = 'main'"
    ).rows
    files = [e["path"] for e in tree(http, "main") if e["type"] == "commit_file"]
    assert sorted(row[0] for row in rows) == sorted(files)  # directories are never read as files
    for path, size, is_binary, text in rows:
        raw = http.get(f"{REPO}/src/main/{path}").content
        assert size == len(raw), path
        if path.endswith(".png"):
            assert is_binary and text is None, path
        else:
            assert not is_binary and text == raw.decode("utf-8"), path


def test_file_contents_of_one_file_on_every_main_branch(engine: Engine, http: httpx.Client, emulator: Any) -> None:
    sql = (
        "SELECT r.slug, c.text FROM repositories r JOIN file_contents c "
        "ON c.repository = r.slug AND c.ref = r.mainbranch_name WHERE c.path = 'bitbucket-pipelines.yml'"
    )
    expected = []
    repositories = listing(http, "/repositories/acme")
    for repo in repositories:
        response = http.get(f"/repositories/acme/{repo['slug']}/src/{repo['mainbranch']['name']}/bitbucket-pipelines.yml")
        if response.status_code == 200:
            expected.append((repo["slug"], response.text))
    emulator.reset_stats()
    result = engine.execute(sql)
    assert canonical(result.rows) == canonical(expected)
    assert {re.search(r"image: (\S+)", text)[1] for _, text in expected} >= {"python:3.8"}
    assert result.stats.requests == 1 + len(repositories)  # the repositories, then one GET each
    plan = "\n".join(row[0] for row in engine.execute("EXPLAIN " + sql).rows)
    assert "file_contents" in plan and "/src/{commit}/{path}" in plan
    estimate = re.search(r"^Estimate: ~(\d+) requests", plan, re.MULTILINE)
    assert estimate and int(estimate[1]) == result.stats.requests  # the cost is shown before it runs


def test_the_pipelines_image_recipe_works_as_printed(engine: Engine, http: httpx.Client, emulator: Any) -> None:
    """docs/recipes.md's answer to "which repositories' bitbucket-pipelines.yml still use image X",
    copied from the page, equals what reading each main branch's file by HTTP finds, at the cost
    EXPLAIN shows first."""
    page = (Path(__file__).parents[2] / "docs" / "recipes.md").read_text(encoding="utf-8")
    section = page.split("## Repositories whose bitbucket-pipelines.yml still use image X", 1)[1]
    sql = section.split("```sql\n", 1)[1].split("```", 1)[0]
    expected = []
    repositories = listing(http, "/repositories/acme")
    for repo in repositories:
        response = http.get(f"/repositories/acme/{repo['slug']}/src/{repo['mainbranch']['name']}/bitbucket-pipelines.yml")
        found = re.search(r"image:\s*(python:3\.8|node:16)\s", response.text) if response.status_code == 200 else None
        if found:
            expected.append((repo["slug"], re.search(r"image:\s*(\S+)", response.text)[1]))
    assert expected, "the demo data should have repositories on an old image"
    plan = "\n".join(row[0] for row in engine.execute("EXPLAIN " + sql).rows)
    estimate = re.search(r"^Estimate: ~(\d+) requests", plan, re.MULTILINE)
    fresh_cost = 1 + len(repositories)  # the repositories, then one file per repository
    assert estimate and int(estimate[1]) == fresh_cost
    emulator.reset_stats()
    result = engine.execute(sql)
    assert result.rows == sorted(expected)
    assert result.stats.requests <= fresh_cost  # the repositories may come from the engine's cache


FILE_ROUTE = "GET /2.0/repositories/{workspace}/{repo_slug}/src/{commit}/{path:path}"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT text FROM file_contents WHERE path = 'bitbucket-pipelines.yml' AND ref = 'main'",
        "SELECT r.slug, c.text FROM repositories r JOIN file_contents c ON c.repository = r.slug "
        "AND c.ref = r.mainbranch_name WHERE c.path = 'bitbucket-pipelines.yml'",
    ],
)
def test_many_files_are_bounded_by_max_fanout_before_any_file_is_read(
    make_engine: Callable[..., Engine], emulator: Any, sql: str
) -> None:
    small = make_engine(max_fanout=3)
    emulator.reset_stats()
    with pytest.raises(FanoutLimitError, match=r"file_contents would need \d+ requests.*MaxFanout=3"):
        small.execute(sql)
    assert FILE_ROUTE not in emulator.stats()["routes"]  # refused before the first file
    make_engine(max_fanout=20).execute(sql)
    assert emulator.stats()["routes"][FILE_ROUTE] > 3  # (the name of the route is the one counted)


LIMIT = "1,048,576"  # file_contents' cap, as its errors write it


@pytest.fixture(scope="module")
def globex(make_engine: Callable[..., Engine]) -> tuple[Engine, str]:
    """An engine on globex, whose repositories hold a 1.2 MB file and a 256 MiB one, and a repository."""
    engine = make_engine(workspace="globex")
    return engine, engine.execute("SELECT slug FROM repositories ORDER BY slug LIMIT 1").rows[0][0]


def file_reads(recording: Any) -> list[int]:
    """The bytes kept of each file read (``/src/...``) in a recording."""
    return [record.bytes for record in recording.records if "/src/" in record.url]


def test_a_file_above_the_cap_is_a_clear_error_and_the_files_join_avoids_it(globex: tuple[Engine, str]) -> None:
    engine, repository = globex
    with pytest.raises(FileTooLargeError, match=rf"data/(fixtures\.csv|warehouse-dump\.sql).*above the limit of {LIMIT} bytes"):
        engine.execute("SELECT text FROM file_contents WHERE repository = ? AND ref = 'main'", [repository])
    rows = engine.execute(
        "SELECT c.path FROM files f JOIN file_contents c ON c.repository = f.repository AND c.ref = f.ref "
        "AND c.path = f.path WHERE f.repository = ? AND f.ref = 'main' AND f.size < 1000000",
        [repository],
    ).rows
    assert rows and not {"data/fixtures.csv", "data/warehouse-dump.sql"} & {row[0] for row in rows}


def test_a_file_whose_answer_announces_a_size_above_the_cap_is_refused_unread(globex: tuple[Engine, str]) -> None:
    engine, repository = globex
    [(size,)] = engine.execute(
        "SELECT size FROM files WHERE repository = ? AND ref = 'main' AND path = 'data/fixtures.csv'", [repository]
    ).rows
    with engine.client.recording() as recording, pytest.raises(FileTooLargeError) as caught:
        engine.execute("SELECT text FROM file_contents WHERE repository = ? AND ref = 'main' "
                       "AND path = 'data/fixtures.csv'", [repository])
    message = str(caught.value)
    assert f"repository {repository!r}, ref 'main', path 'data/fixtures.csv' is {size:,} bytes" in message
    assert f"above the limit of {LIMIT} bytes" in message and "f.size < 1048576" in message
    assert file_reads(recording) == [0]  # Content-Length said it: not one byte of the body was kept


def test_a_huge_streamed_file_fails_without_being_read_into_memory(globex: tuple[Engine, str]) -> None:
    """The 256 MiB file is sent without a length: the client stops reading at the cap, so the query
    fails having kept 1 MiB + 1 byte, and the process's Python memory never grows by the file."""
    engine, repository = globex
    [(size,)] = engine.execute(
        "SELECT size FROM files WHERE repository = ? AND ref = 'main' AND path = 'data/warehouse-dump.sql'",
        [repository],
    ).rows
    assert size == 256 * 1024 * 1024
    tracemalloc.start()
    try:
        with engine.client.recording() as recording, pytest.raises(FileTooLargeError) as caught:
            engine.execute("SELECT text FROM file_contents WHERE repository = ? AND ref = 'main' "
                           "AND path = 'data/warehouse-dump.sql'", [repository])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"path 'data/warehouse-dump.sql' is more than {LIMIT} bytes" in str(caught.value)
    assert file_reads(recording) == [1024 * 1024 + 1]
    assert peak < size // 8, f"peak Python memory {peak:,} bytes while failing on a {size:,}-byte file"


MISSING_REF = "no-such-ref"


@pytest.mark.parametrize(
    ("table", "sql"),
    [
        ("files", "SELECT path FROM files WHERE repository = 'api' AND ref = ?"),
        ("file_contents", "SELECT text FROM file_contents WHERE repository = 'api' AND ref = ? AND path = 'README.md'"),
        ("file_contents", "SELECT path, size FROM file_contents WHERE repository = 'api' AND ref = ?"),
        ("file_history",
         "SELECT commit_hash FROM file_history WHERE repository = 'api' AND ref = ? AND path = 'README.md'"),
        ("file_history", "SELECT commit_hash FROM file_history WHERE repository = 'api' AND ref IN (?, 'main') "
         "AND path = 'README.md'"),
    ],
)
def test_a_ref_that_does_not_exist_is_an_error_naming_it(engine: Engine, table: str, sql: str) -> None:
    """Like a wrong commit_hash on commit_reports: an error, not an empty answer."""
    with pytest.raises(KeyNotFoundError) as caught:
        engine.execute(sql, [MISSING_REF])
    message = str(caught.value)
    assert caught.value.key == "ref" and caught.value.value == MISSING_REF
    assert f"Ref '{MISSING_REF}' is not a branch, tag or commit of repository acme/api" in message
    assert f"while reading acme.{table}" in message
    assert "list the branches and tags with SELECT ref_type, name FROM acme.refs WHERE repository = 'api'" in message


def test_a_commit_that_does_not_exist_is_an_error_on_files_as_on_commit_reports(engine: Engine) -> None:
    missing = "0123456789abcdef0123456789abcdef01234567"
    with pytest.raises(KeyNotFoundError, match=rf"Ref '{missing}' is not a branch, tag or commit of repository"):
        engine.execute("SELECT path FROM files WHERE repository = 'api' AND ref = ?", [missing])
    with pytest.raises(KeyNotFoundError, match=rf"Commit '{missing}' was not found"):
        engine.execute("SELECT uuid FROM commit_reports WHERE repository = 'api' AND commit_hash = ?", [missing])


def test_a_ref_may_be_a_tag_or_an_abbreviated_commit(engine: Engine, http: httpx.Client) -> None:
    tag = listing(http, f"{REPO}/refs/tags")[0]
    short = commits_of(http)[0][:12]
    for ref, tree_ref in ((tag["name"], tag["name"]), (short, short)):
        rows = engine.execute("SELECT path FROM files WHERE repository = 'api' AND ref = ?", [ref]).rows
        assert sorted(row[0] for row in rows) == sorted(e["path"] for e in tree(http, tree_ref)), ref


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT text FROM file_contents WHERE repository = 'api' AND ref = 'main' AND path = 'no/such/file.txt'",
        "SELECT commit_hash FROM file_history WHERE repository = 'api' AND ref = 'main' AND path = 'no/such/file.txt'",
        "SELECT path FROM files WHERE repository = 'api' AND ref = 'main' AND path = 'no/such/file.txt'",
    ],
)
def test_a_path_missing_at_an_existing_ref_is_no_rows(engine: Engine, sql: str) -> None:
    assert engine.execute(sql).rows == []


def test_file_history_equals_the_api_and_pushes_date_filters(
    engine: Engine, reference: Engine, http: httpx.Client
) -> None:
    history = listing(http, f"{REPO}/filehistory/main/README.md")
    rows = engine.execute(
        "SELECT commit_hash, file_path FROM file_history WHERE repository = 'api' AND ref = 'main' AND path = 'README.md'"
    ).rows
    assert canonical(rows) == canonical([(e["commit"]["hash"], e["path"]) for e in history])
    dates = sorted(e["commit"]["date"] for e in history)
    bound = dates[len(dates) // 2]
    sql = (
        "SELECT commit_hash, commit_date FROM file_history WHERE repository = 'api' AND ref = 'main' "
        f"AND path = 'README.md' AND commit_date >= TIMESTAMPTZ '{bound}' ORDER BY commit_date DESC LIMIT 2"
    )
    plan = "\n".join(row[0] for row in engine.execute("EXPLAIN " + sql).rows)
    assert "commit.date >=" in plan and "sort: -commit.date" in plan
    assert engine.execute(sql).rows == reference.execute(sql).rows


# --- pushdown of the new BBQL filters ---------------------------------------------------------

PUSHED = [
    "SELECT id, user_uuid FROM commit_comments WHERE repository = 'api' AND user_uuid = '{user}'",
    "SELECT id FROM commit_comments WHERE repository = 'api' AND deleted = false AND id IN (1, 2, 11)",
    "SELECT id, created_on FROM commit_comments WHERE repository = 'api' AND created_on > TIMESTAMPTZ '{middle}'",
    "SELECT id FROM commit_comments WHERE repository = 'api' AND content_raw LIKE '%test%'",
    "SELECT id FROM commit_comments WHERE repository = 'api' AND parent_id IS NOT NULL",
    "SELECT commit_hash FROM file_history WHERE repository = 'api' AND ref = 'main' AND path = 'README.md' "
    "AND size > 20",
    "SELECT commit_hash FROM file_history WHERE repository = 'api' AND ref = 'main' AND commit_hash = '{sha}'",
    "SELECT repository, path FROM files WHERE ref = 'main' AND path LIKE '%pipelines.yml'",
    "SELECT path, size FROM files WHERE repository = 'api' AND ref = 'main' AND type = 'commit_file' AND size > 100",
    "SELECT path FROM files WHERE repository = 'api' AND ref = 'main' AND mimetype = 'image/png'",
    "SELECT path, size FROM files WHERE repository = 'api' AND ref = 'main' ORDER BY size DESC LIMIT 2",
    "SELECT snippet_id, id FROM snippet_comments WHERE user_uuid = '{snippet_commenter}'",
    "SELECT snippet_id, id FROM snippet_comments WHERE content_raw LIKE '%sudo%'",
    "SELECT snippet_id, id, created_on FROM snippet_comments WHERE created_on >= TIMESTAMPTZ '{snippet_middle}'",
]


@pytest.mark.parametrize("template", PUSHED)
def test_pushed_filters_equal_the_unfiltered_read(
    engine: Engine, reference: Engine, truth: dict[str, set[tuple[Any, ...]]], http: httpx.Client, template: str
) -> None:
    comments = sorted(truth["commit_comments"])
    stamps = sorted(c["created_on"] for sha in {c[0] for c in comments} for c in listing(http, f"{REPO}/commit/{sha}/comments"))
    history = listing(http, f"{REPO}/filehistory/main/README.md")
    snippet_comments = [c for s in listing(http, "/snippets/acme") for c in listing(http, f"/snippets/acme/{s['id']}/comments")]
    snippet_stamps = sorted(c["created_on"] for c in snippet_comments)
    sql = template.format(
        user=comments[0][3],
        middle=stamps[len(stamps) // 2],
        sha=history[-1]["commit"]["hash"],
        snippet_commenter=snippet_comments[0]["user"]["uuid"],
        snippet_middle=snippet_stamps[len(snippet_stamps) // 2],
    )
    expected = reference.execute(sql).rows
    assert expected, "the filter should match rows in the demo data"
    assert canonical(engine.execute(sql).rows) == canonical(expected)
    plan = "\n".join(row[0] for row in engine.execute("EXPLAIN " + sql).rows)
    assert "  q: " in plan or "sort: -size" in plan, plan
    assert "max_depth IN" not in plan  # a shaping parameter never goes into q


# --- pull requests of one author: the workspace-wide listing ----------------------------------

USER_PRS = "GET /2.0/workspaces/{workspace}/pullrequests/{selected_user}"
REPO_PRS = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests"


@pytest.mark.parametrize(
    "template",
    [
        "SELECT repository, id, state FROM pull_requests WHERE author_uuid = '{uuid}'",
        "SELECT repository, id FROM pull_requests WHERE author_account_id = '{account}' AND state = 'MERGED'",
        "SELECT repository, id, created_on FROM pull_requests WHERE author_uuid = '{uuid}' "
        "ORDER BY created_on DESC LIMIT 3",
    ],
)
def test_one_authors_pull_requests_come_from_the_workspace_listing(
    engine: Engine, reference: Engine, emulator: Any, template: str
) -> None:
    uuid, account, repositories = engine.execute(
        "SELECT author_uuid, author_account_id, count(DISTINCT repository) FROM pull_requests "
        "GROUP BY ALL ORDER BY 3 DESC, 1 LIMIT 1"
    ).rows[0]
    assert repositories > 1
    sql = template.format(uuid=uuid, account=account)
    emulator.reset_stats()
    result = engine.execute(sql)
    routes = emulator.stats()["routes"]
    assert canonical(result.rows) == canonical(reference.execute(sql).rows)
    assert result.rows
    if "state" not in sql and "LIMIT" not in sql:  # every repository the author has pull requests in
        assert len({row[0] for row in result.rows}) == repositories
    assert USER_PRS in routes and REPO_PRS not in routes
    plan = "\n".join(row[0] for row in engine.execute("EXPLAIN " + sql).rows)
    assert "/workspaces/{workspace}/pullrequests/{selected_user}" in plan


def test_a_user_who_is_not_a_member_is_read_per_repository(engine: Engine, reference: Engine, emulator: Any) -> None:
    """The workspace listing misses pull requests of people who have left: never used for them."""
    sql = "SELECT repository, id FROM pull_requests WHERE author_uuid = '{00000000-0000-4000-8000-0000000000ff}'"
    emulator.reset_stats()
    result = engine.execute(sql)
    routes = emulator.stats()["routes"]
    assert result.rows == reference.execute(sql).rows == []
    assert USER_PRS not in routes and routes[REPO_PRS] > 1


ALL_STATES = ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]


def authored(http: httpx.Client, workspace: str, column: str, value: str) -> list[tuple[str, int, str]]:
    """Ground truth: (repository, id, state) of every pull request ``column`` = ``value``, read from
    every repository's own listing (all states), never from the workspace-wide endpoint."""
    field = {"author_uuid": "uuid", "author_account_id": "account_id"}[column]
    return [
        (repo["slug"], pr["id"], pr["state"])
        for repo in listing(http, f"/repositories/{workspace}")
        for pr in listing(http, f"/repositories/{workspace}/{repo['slug']}/pullrequests", state=ALL_STATES, pagelen=50)
        if pr["author"][field] == value
    ]


def test_one_author_costs_the_members_and_one_listing_instead_of_every_repository(
    make_engine: Callable[..., Engine], http: httpx.Client
) -> None:
    fresh = make_engine()  # nothing cached: the members are listed by this query
    uuid = fresh.execute(
        "SELECT author_uuid FROM pull_requests GROUP BY 1 ORDER BY count(DISTINCT repository) DESC, 1 LIMIT 1"
    ).rows[0][0]
    fresh = make_engine()
    sql = f"SELECT repository, id, state FROM pull_requests WHERE author_uuid = '{uuid}'"
    with fresh.client.recording() as recording:
        result = fresh.execute(sql)
    assert canonical(result.rows) == canonical(authored(http, "acme", "author_uuid", uuid))
    urls = [record.url for record in recording.records]
    assert len(urls) == result.stats.requests == 2, urls  # the members, then the author's listing
    assert "/workspaces/acme/members" in urls[0] and f"/workspaces/acme/pullrequests/{encoded(uuid)}" in urls[1]
    per_repository = 1 + len(listing(http, "/repositories/acme"))  # the repositories, then one listing each
    assert result.stats.requests < per_repository


@pytest.mark.parametrize("column", ["author_uuid", "author_account_id"])
@pytest.mark.parametrize("with_a_member", [False, True])
def test_pull_requests_of_someone_who_has_left_are_read_from_every_repository(column: str, with_a_member: bool) -> None:
    """The workspace-wide listing misses the pull requests of people who have left (the emulator
    answers it as Bitbucket does): the engine must notice and read every repository instead."""
    store = generate("tiny", seed=1)
    members = store.workspaces["acme"].members
    authors: dict[str, set[str]] = {}
    for slug in store.workspaces["acme"].repositories:
        for pr in store.repo_data("acme", slug).pullrequests.values():
            authors.setdefault(pr["author"]["uuid"], set()).add(slug)
    departed, stayed = sorted((u for u in authors if u != DEMO_UUID), key=lambda u: (-len(authors[u]), u))[:2]
    field = {"author_uuid": "uuid", "author_account_id": "account_id"}[column]
    values = [store.users[departed][field]] + ([store.users[stayed][field]] if with_a_member else [])
    del members[departed]
    with run_emulator(store=store) as own, httpx.Client(base_url=own.base_url, auth=DEMO, timeout=30) as raw:
        truth = [row for value in values for row in authored(raw, "acme", column, value)]
        assert {row[0] for row in truth} >= authors[departed]  # they did author pull requests here
        missed = listing(raw, f"/workspaces/acme/pullrequests/{encoded(values[0])}", state=ALL_STATES, pagelen=50)
        assert missed == []  # ...which the workspace-wide endpoint no longer shows
        engine = Engine(settings_for(own))
        try:
            own.reset_stats()
            listed = ", ".join(f"'{value}'" for value in values)
            rows = engine.execute(f"SELECT repository, id, state FROM pull_requests WHERE {column} IN ({listed})").rows
            routes = own.stats()["routes"]
        finally:
            engine.close()
    assert canonical(rows) == canonical(truth)
    assert USER_PRS not in routes and routes[REPO_PRS] == len(store.workspaces["acme"].repositories)


def test_a_directory_is_no_file_and_a_json_file_is_text(engine: Engine, http: httpx.Client) -> None:
    assert engine.execute(
        "SELECT text FROM file_contents WHERE repository = 'api' AND ref = 'main' AND path = 'src'"
    ).rows == []
    repository, path = next(
        (repo["slug"], entry["path"])
        for repo in listing(http, "/repositories/acme")
        for entry in listing(http, f"/repositories/acme/{repo['slug']}/src/main/", max_depth=20)
        if entry["path"].endswith(".json")
    )
    rows = engine.execute(
        "SELECT content_type, is_binary, text FROM file_contents WHERE repository = ? AND ref = 'main' AND path = ?",
        [repository, path],
    ).rows
    raw = http.get(f"/repositories/acme/{repository}/src/main/{path}")
    assert rows == [("application/json", False, raw.text)]


@pytest.mark.parametrize(
    ("condition", "max_depth"),
    [("depth <= 1", "1"), ("depth = 2", "2"), ("depth < 3", "2"), ("depth BETWEEN 1 AND 2", "2"), ("2 >= depth", "2")],
)
def test_a_depth_bound_lists_only_that_many_levels(
    engine: Engine, reference: Engine, condition: str, max_depth: str
) -> None:
    sql = f"SELECT path, depth FROM files WHERE repository = 'api' AND ref = 'main' AND {condition}"
    with engine.client.recording() as recording:
        rows = engine.execute(sql).rows
    assert rows and canonical(rows) == canonical(reference.execute(sql).rows)
    assert [f"max_depth={max_depth}" in record.url for record in recording.records] == [True]

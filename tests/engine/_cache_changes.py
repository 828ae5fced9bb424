"""What the cache refresh tests change behind a cache's back (imported by name)."""

from __future__ import annotations

from typing import Any

from _helpers_connect import demo_settings
from bitbucket_sql.api.client import BitbucketClient

#: The queries whose cached rows the changes touch, in repository ``api``.
PR_SQL = "SELECT id, title, state, updated_on FROM pull_requests WHERE repository = 'api'"
PIPELINE_SQL = "SELECT uuid, build_number, state_name, state_result_name FROM pipelines WHERE repository = 'api'"
COMMIT_SQL = "SELECT hash, message FROM commits WHERE repository = 'api'"
OPEN_SQL = "SELECT id FROM pull_requests WHERE repository = 'api' AND state = 'OPEN'"
QUERIES = (PR_SQL, PIPELINE_SQL, COMMIT_SQL, OPEN_SQL)


def change_repository_api(emulator: Any, opened: list[Any], title: str) -> None:
    """Rename one open pull request, merge another and start a pipeline in ``api``."""
    with BitbucketClient(demo_settings(emulator.base_url), interactive=False) as client:
        base = "/repositories/acme/api"
        client.put(f"{base}/pullrequests/{opened[0]}", json={"title": title})
        client.post(f"{base}/pullrequests/{opened[1]}/merge", json={"merge_strategy": "merge_commit"})
        client.post(f"{base}/pipelines", json={"target": {"type": "pipeline_ref_target", "ref_type": "branch",
                                                           "ref_name": "main"}})

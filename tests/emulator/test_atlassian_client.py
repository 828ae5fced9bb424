"""A third-party client, atlassian-python-api's Bitbucket Cloud wrapper, works against the emulator.

The library builds its own URLs (``<root>/2.0/...`` with trailing slashes), follows ``next``
links and parses the envelope, so this checks the emulator from outside our own code.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from atlassian.bitbucket import Cloud
from requests.exceptions import HTTPError

from bitbucket_sql.emulator import EmulatorHandle


@pytest.fixture()
def cloud(emulator: EmulatorHandle) -> Iterator[Cloud]:
    client = Cloud(url=emulator.root_url, username="demo@example.com", password="demo-api-token")
    yield client
    client.close()


def test_lists_workspaces_and_repositories(emulator: EmulatorHandle, cloud: Cloud) -> None:
    store = emulator.store
    with store.lock:
        demo = store.user_by_email("demo@example.com")["uuid"]
        expected_workspaces = set(store.user_workspaces(demo))
        expected_repos = set(store.workspaces["acme"].repositories)
    assert {workspace.slug for workspace in cloud.workspaces.each()} == expected_workspaces
    acme = cloud.workspaces.get("acme")
    assert acme.name == store.workspaces["acme"].workspace["name"]
    assert {repo.slug for repo in acme.repositories.each()} == expected_repos
    assert {project.key for project in acme.projects.each()} == set(store.workspaces["acme"].projects)


def test_lists_pull_requests_branches_commits_and_pipelines(emulator: EmulatorHandle, cloud: Cloud) -> None:
    with emulator.store.lock:
        data = emulator.store.repo_data("acme", "api")
        open_prs = {pr_id for pr_id, pr in data.pullrequests.items() if pr["state"] == "OPEN"}
        merged_prs = {pr_id for pr_id, pr in data.pullrequests.items() if pr["state"] == "MERGED"}
        branches = set(data.branches)
        head = data.branches["main"]["target"]["hash"]
        build_numbers = {pipeline["build_number"] for pipeline in data.pipelines.values()}
    repo = cloud.workspaces.get("acme").repositories.get("api")
    assert repo.slug == "api"
    assert {pr.id for pr in repo.pullrequests.each()} == open_prs
    assert {pr.id for pr in repo.pullrequests.each(q='state = "MERGED"')} == merged_prs
    some_pr = repo.pullrequests.get(min(open_prs))
    assert some_pr.id == min(open_prs) and some_pr.title
    assert {branch.name for branch in repo.branches.each()} == branches
    commits = list(repo.commits.each())
    assert commits and commits[0].hash == head
    assert len({commit.hash for commit in commits}) == len(commits)
    assert {pipeline.build_number for pipeline in repo.pipelines.each()} == build_numbers


def test_errors_reach_the_client_as_http_errors_with_the_message(cloud: Cloud) -> None:
    with pytest.raises(HTTPError) as failure:
        cloud.workspaces.get("acme").repositories.get("no-such-repository")
    assert failure.value.response.status_code == 404

"""The generator: determinism, coverage of every collection and state, a real commit graph and
lazy per-repository generation. (``--data`` files: test_loader.py.)"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import pytest

from bitbucket_sql.emulator.generator import generate
from bitbucket_sql.emulator.sampling import DEMO_EMAIL
from bitbucket_sql.emulator.store import Store


def snapshot(store: Store) -> str:
    """Everything in the store as one JSON text (repository data included)."""
    repos = {
        f"{ws}/{repo['slug']}": vars(store.repo_data(ws, repo["slug"])) for ws, repo in store.repositories()
    }
    workspaces = {slug: vars(data) for slug, data in store.workspaces.items()}
    return json.dumps(
        {"users": store.users, "workspaces": workspaces, "repos": repos}, sort_keys=True, default=str
    )


@pytest.fixture(scope="module")
def tiny() -> Store:
    return generate("tiny", seed=1)


def test_same_seed_gives_identical_data(tiny: Store) -> None:
    assert snapshot(generate("tiny", seed=1)) == snapshot(tiny)


def test_different_seed_gives_different_data(tiny: Store) -> None:
    assert snapshot(generate("tiny", seed=2)) != snapshot(tiny)


def test_tiny_has_the_documented_shape(tiny: Store) -> None:
    assert tiny.workspace_slugs() == ["acme", "globex", "initech"]
    acme = [repo["slug"] for ws, repo in tiny.repositories() if ws == "acme"]
    assert acme == ["api", "data-pipeline", "infra", "mobile-app", "web"]
    assert tiny.user_by_email(DEMO_EMAIL)["nickname"] == "demo"
    prs = [
        pr
        for ws, repo in tiny.repositories()
        if ws == "acme"
        for pr in tiny.repo_data(ws, repo["slug"]).pullrequests.values()
    ]
    commits = sum(len(tiny.repo_data("acme", slug).commits) for slug in acme)
    assert 20 <= len(prs) <= 45 and 120 <= commits <= 300
    assert {pr["state"] for pr in prs} == {"OPEN", "MERGED", "DECLINED", "SUPERSEDED"}
    assert any(pr["draft"] for pr in prs)
    assert any(not repo["is_private"] for _, repo in tiny.repositories())


def test_every_collection_is_non_empty_in_acme_api(tiny: Store) -> None:
    data = tiny.repo_data("acme", "api")
    for field in dataclasses.fields(data):
        value = getattr(data, field.name)
        # commit approvals exist only once written (generated commits have none, as recorded ones)
        if field.name not in ("pinned", "commit_participants"):
            assert value, f"acme/api has an empty {field.name}"
    comments = [c for per_pr in data.pr_comments.values() for c in per_pr.values()]
    assert any("inline" in c for c in comments) and any("parent" in c for c in comments)
    participants = [p for pr in data.pullrequests.values() for p in pr["participants"]]
    assert {p["state"] for p in participants} >= {"approved", "changes_requested"}
    workspace = tiny.workspaces["acme"]
    for field in dataclasses.fields(workspace):
        assert getattr(workspace, field.name), f"workspace acme has an empty {field.name}"


def test_commit_graph_is_consistent(tiny: Store) -> None:
    data = tiny.repo_data("acme", "api")
    dates = {sha: datetime.fromisoformat(c["date"]) for sha, c in data.commits.items()}
    assert len(data.commit_order) == len(data.commits)
    assert [dates[sha] for sha in data.commit_order] == sorted(dates.values(), reverse=True)
    merges = 0
    for sha, commit in data.commits.items():
        for parent in commit["parents"]:
            assert parent["hash"] in data.commits and dates[parent["hash"]] <= dates[sha]
        merges += len(commit["parents"]) == 2
    assert merges >= 1
    for branch in data.branches.values():
        assert branch["target"]["hash"] in data.commits
    for pr in data.pullrequests.values():
        if pr["state"] == "MERGED":
            merge = next(sha for sha in data.commits if sha.startswith(pr["merge_commit"]["hash"]))
            assert len(data.commits[merge]["parents"]) == 2
    span = max(dates.values()) - min(dates.values())
    assert span.days > 300


def test_lazy_generation_does_not_depend_on_access_order() -> None:
    first = generate("medium", seed=3)
    second = generate("medium", seed=3)
    slugs = [repo["slug"] for ws, repo in first.repositories() if ws == "acme"][:4]
    forward = [first.repo_data("acme", slug) for slug in slugs]
    backward = [second.repo_data("acme", slug) for slug in reversed(slugs)]
    assert forward == list(reversed(backward))
    assert first.loaded_repo_count() == 4  # nothing else was generated


def test_medium_has_about_a_hundred_repositories() -> None:
    store = generate("medium", seed=1)
    assert sum(len(ws.repositories) for ws in store.workspaces.values()) == 100


def test_unknown_scale_is_rejected() -> None:
    with pytest.raises(ValueError, match="huge"):
        generate("huge")


# ----------------------------------------------------------------------------- --data

"""The store's lookups and the write helpers the server engineer's routes rely on."""

from __future__ import annotations

from bitbucket_sql.emulator.generator import generate
from bitbucket_sql.emulator.sampling import DEMO_EMAIL
from bitbucket_sql.emulator.serializers import objects as o


def test_lookups() -> None:
    store = generate("tiny", seed=1)
    repo = store.repository("acme", "api")
    assert repo is not None and store.repository("acme", repo["uuid"]) is repo
    assert store.repository("{}", repo["uuid"]) is repo
    workspace_uuid = store.workspaces["acme"].workspace["uuid"]
    assert store.repository(workspace_uuid, "api") is repo
    assert store.repository("acme", "missing") is None and store.repository("missing", "api") is None
    assert store.is_private("acme", "api") and not store.is_private("acme", "web")
    demo = store.user_by_email(DEMO_EMAIL.upper())
    assert (
        demo is not None
        and store.user(demo["account_id"]) is demo
        and store.user(demo["uuid"].strip("{}")) is demo
    )
    assert store.user_workspaces(demo["uuid"]) == ["acme", "globex"]
    assert store.workspace_slugs() == ["acme", "globex", "initech"]
    assert store.user_workspaces(None) == []


def test_next_id_never_repeats() -> None:
    store = generate("tiny", seed=1)
    data = store.repo_data("acme", "api")
    first = store.next_id("acme", "api", "pullrequest")
    assert first == max(data.pullrequests) + 1
    store.delete(data.pullrequests, max(data.pullrequests))
    assert store.next_id("acme", "api", "pullrequest") == first + 1
    comment_ids = {cid for per_pr in data.pr_comments.values() for cid in per_pr}
    assert store.next_id("acme", "api", "comment") not in comment_ids


def test_written_repository_data_survives_eviction() -> None:
    store = generate("medium", seed=1)
    store.cache_limit = 2
    slugs = [repo["slug"] for ws, repo in store.repositories() if ws == "acme"][:5]
    written = store.repo_data_for_write("acme", slugs[0])
    written.pullrequests[999] = {"id": 999}
    for slug in slugs[1:]:
        store.repo_data("acme", slug)
    assert store.repo_data("acme", slugs[0]).pullrequests[999] == {"id": 999}
    assert store.loaded_repo_count() <= 3


def test_add_rename_delete_repository_and_touch() -> None:
    store = generate("tiny", seed=1)
    ws = store.workspaces["acme"]
    repo = o.repository(
        ws.workspace,
        next(iter(ws.projects.values())),
        store.new_uuid(),
        "fresh",
        "Fresh",
        "",
        "python",
        "2026-01-01T00:00:00.000000+00:00",
        "2026-01-01T00:00:00.000000+00:00",
    )
    data = store.add_repository("acme", repo)
    assert store.repository("acme", "fresh") is repo and data.pinned and not data.commits
    renamed = {**repo, "slug": "renamed", "full_name": "acme/renamed"}
    store.rename_repository("acme", "fresh", renamed)
    assert store.repository("acme", "fresh") is None and store.repo_data("acme", "renamed") is data
    before = renamed["updated_on"]
    stamp = store.touch(renamed)
    assert renamed["updated_on"] == stamp != before and stamp.endswith("+00:00")
    store.delete_repository("acme", "renamed")
    assert store.repository("acme", "renamed") is None


def test_materialize_all_loads_every_repository() -> None:
    store = generate("medium", seed=1)
    store.cache_limit = None
    slugs = [repo["slug"] for _, repo in store.repositories()]
    for ws in store.workspace_slugs():  # keep six repositories so the test stays fast
        store.workspaces[ws].repositories = {
            k: v for k, v in store.workspaces[ws].repositories.items() if k in slugs[:6]
        }
    assert store.loaded_repo_count() == 0
    assert store.materialize_all() == len(list(store.repositories()))

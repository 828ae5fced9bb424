"""``/src/{commit}/{path}``: directories as paged listings replayed from the commit history."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bitbucket_sql.emulator.routes_read.source_tree import files_at

DEMO = ("demo@example.com", "demo-api-token")
BASE = "/repositories/acme/api/src"


@pytest.fixture(scope="module")
def client(emulator) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=emulator.base_url, auth=DEMO, timeout=30) as http:
        yield http


def listing(client: httpx.Client, url: str) -> list[dict]:  # type: ignore[type-arg]
    entries: list[dict] = []  # type: ignore[type-arg]
    while url:
        response = client.get(url, params=None if "pagelen" in url else {"pagelen": 100})
        assert response.status_code == 200, response.text
        body = response.json()
        assert "size" not in body
        entries += body["values"]
        url = body.get("next", "")
    return entries


def test_root_lists_the_top_level_of_the_tree_at_the_revision(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    data = emulator.store.repo_data("acme", "api")
    head = data.branches["main"]["target"]["hash"]
    tree = files_at(data, head)
    expected = {path.split("/")[0] for path in tree}
    entries = listing(client, f"{BASE}/main/")
    assert {entry["path"] for entry in entries} == expected
    kinds = [entry["type"] for entry in entries]
    assert kinds == sorted(kinds, key=lambda kind: kind != "commit_directory"), "directories come first"
    for entry in entries:
        assert entry["commit"]["hash"] == head
        is_directory = any(path.startswith(entry["path"] + "/") for path in tree)
        assert entry["type"] == ("commit_directory" if is_directory else "commit_file")


def test_a_subdirectory_lists_its_children_with_full_paths(client: httpx.Client) -> None:
    top = listing(client, f"{BASE}/main/")
    directory = next(entry["path"] for entry in top if entry["type"] == "commit_directory")
    children = listing(client, f"{BASE}/main/{directory}/")
    assert children
    assert all(entry["path"].startswith(directory + "/") for entry in children)
    assert all("/" not in entry["path"][len(directory) + 1 :] for entry in children)


def test_a_file_answers_its_meta_form_and_a_missing_path_is_a_404(client: httpx.Client) -> None:
    top = listing(client, f"{BASE}/main/")
    file_path = next(entry["path"] for entry in top if entry["type"] == "commit_file")
    meta = client.get(f"{BASE}/main/{file_path}", params={"format": "meta"})
    assert meta.status_code == 200
    assert meta.json()["type"] == "commit_file" and meta.json()["path"] == file_path
    assert client.get(f"{BASE}/main/{file_path}").headers["content-type"].startswith("text/plain")
    missing = client.get(f"{BASE}/main/no-such-dir/")
    assert missing.status_code == 404
    assert client.get(f"{BASE}/no-such-branch/").status_code == 404


def test_an_older_revision_shows_the_older_tree(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    data = emulator.store.repo_data("acme", "api")
    first = data.commit_order[-1]
    expected = {path.split("/")[0] for path in files_at(data, first)}
    assert {entry["path"] for entry in listing(client, f"{BASE}/{first}/")} == expected

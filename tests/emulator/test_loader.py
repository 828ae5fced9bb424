"""``--data`` files (loader.py): the documented example and the shipped one load, and every kind of
mistake is a DataError naming the file, the entry and the bad value."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from bitbucket_sql.emulator import run_emulator
from bitbucket_sql.emulator.loader import DataError, load, load_document
from bitbucket_sql.emulator.sampling import DEMO_EMAIL

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "src" / "bitbucket_sql" / "emulator" / "data" / "example.yaml"
API_DOC = ROOT / "docs" / "emulator-api.md"


def documented_example() -> str:
    """The YAML block of the ``--data`` section of docs/emulator-api.md, as printed."""
    section = API_DOC.read_text(encoding="utf-8").split("## `--data` files", 1)[1]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1, "the --data section should hold exactly one YAML example"
    return blocks[0]


def test_example_data_file_loads() -> None:
    store = load(EXAMPLE)
    assert store.workspace_slugs() == ["acme", "globex"]
    api = store.repo_data("acme", "api")
    assert {pr["state"] for pr in api.pullrequests.values()} == {"MERGED", "OPEN", "DECLINED"}
    merged = api.pullrequests[1]
    assert merged["participants"][0]["approved"] is True and merged["comment_count"] == 2
    assert api.pr_comments[1][2]["parent"]["id"] == 1
    assert store.repository("globex", "api")["parent"]["full_name"] == "acme/api"
    assert store.user_by_email("bob@example.org")["display_name"] == "Bob Smith"
    assert store.repository("acme", "web")["is_private"] is False
    assert "v1.0.0" in api.tags and "develop" in api.branches


def test_loaded_data_uses_the_recorded_timestamp_forms() -> None:
    """Commit dates without fraction, repository times with microseconds (fidelity_manifest.json)."""
    store = load(EXAMPLE)
    api = store.repo_data("acme", "api")
    assert all(re.fullmatch(r"\S+T\d\d:\d\d:\d\d\+00:00", c["date"]) for c in api.commits.values())
    assert re.fullmatch(r"\S+T\d\d:\d\d:\d\d\.\d{6}\+00:00", store.repository("acme", "api")["updated_on"])


def test_json_data_files_load_too(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text(
        json.dumps({"workspaces": [{"slug": "solo", "repositories": [{"slug": "one", "commits": 2}]}]})
    )
    store = load(path)
    assert store.workspace_permission("solo", store.user_by_email(DEMO_EMAIL)["uuid"]) == "owner"
    assert len(store.repo_data("solo", "one").commits) == 2


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "top level"),
        ({"workspaces": []}, "workspaces"),
        ({"workspaces": [{"name": "x"}]}, "slug"),
        ({"workspaces": [{"slug": "w", "members": {"ghost": "owner"}}]}, "ghost"),
        (
            {
                "workspaces": [
                    {
                        "slug": "w",
                        "repositories": [{"slug": "r", "pull_requests": [{"title": "t", "state": "DONE"}]}],
                    }
                ]
            },
            "DONE",
        ),
        ({"workspaces": [{"slug": "w", "repositories": [{"slug": "r", "project": "NOPE"}]}]}, "NOPE"),
    ],
)
def test_bad_data_is_reported_clearly(document: object, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_document(document, source="test.yaml")


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        load(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("workspaces: [\n")
    with pytest.raises(DataError, match="not valid YAML"):
        load(broken)


def test_the_documented_example_loads_as_printed(tmp_path: Path) -> None:
    path = tmp_path / "documented.yaml"
    path.write_text(documented_example(), encoding="utf-8")
    store = load(path)
    ann = store.user_by_email("ann@example.org")
    assert ann["uuid"] == "{0f8c1c3e-5a4b-4c2d-9e8f-7a6b5c4d3e2f}"
    assert store.workspaces["acme"].workspace["uuid"] == "{5b0c5a4e-1d2f-4e3a-8b7c-6d5e4f3a2b1c}"
    api = store.repo_data("acme", "api")
    merged = api.pullrequests[1]
    assert merged["state"] == "MERGED" and merged["closed_by"]["nickname"] == "bob"
    assert [p["user"]["nickname"] for p in merged["participants"]] == ["bob"]
    assert api.pr_comments[1][2]["parent"]["id"] == 1
    assert api.pr_tasks[1][1]["state"] == "RESOLVED"
    assert store.repository("globex", "api")["parent"]["full_name"] == "acme/api"


def test_documented_uuids_are_served_braced(tmp_path: Path) -> None:
    path = tmp_path / "documented.yaml"
    path.write_text(documented_example(), encoding="utf-8")
    with run_emulator(data=str(path)) as emu:
        answer = httpx.get(
            f"{emu.base_url}/workspaces/%7B5b0c5a4e-1d2f-4e3a-8b7c-6d5e4f3a2b1c%7D",
            auth=(DEMO_EMAIL, "demo-api-token"),
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["slug"] == "acme"
    assert answer.json()["uuid"] == "{5b0c5a4e-1d2f-4e3a-8b7c-6d5e4f3a2b1c}"


def test_uuids_without_braces_or_in_upper_case_are_normalised() -> None:
    store = load_document(
        {
            "users": [{"nickname": "ann", "uuid": "0F8C1C3E-5A4B-4C2D-9E8F-7A6B5C4D3E2F"}],
            "workspaces": [{"slug": "w"}],
        }
    )
    assert store.user_by_email("ann@example.com")["uuid"] == "{0f8c1c3e-5a4b-4c2d-9e8f-7a6b5c4d3e2f}"


@pytest.mark.parametrize(
    ("document", "where", "value"),
    [
        (
            {"users": [{"nickname": "ann", "uuid": "{...}"}], "workspaces": [{"slug": "w"}]},
            "users[0].uuid",
            "{...}",
        ),
        ({"workspaces": [{"slug": "w", "uuid": "not-a-uuid"}]}, "workspaces[0].uuid", "not-a-uuid"),
        (
            {"workspaces": [{"slug": "w", "repositories": [{"slug": "r", "uuid": "{1234}"}]}]},
            "workspaces[0].repositories[0].uuid",
            "{1234}",
        ),
        # What YAML makes of an unquoted braced UUID: a one-key mapping.
        (
            {
                "users": [{"nickname": "ann", "uuid": {"0f8c1c3e-5a4b-4c2d-9e8f-7a6b5c4d3e2f": None}}],
                "workspaces": [{"slug": "w"}],
            },
            "users[0].uuid",
            "quoted",
        ),
        (
            {
                "users": [
                    {"nickname": "ann", "uuid": "{0f8c1c3e-5a4b-4c2d-9e8f-7a6b5c4d3e2f}"},
                    {"nickname": "bob", "uuid": "0f8c1c3e-5a4b-4c2d-9e8f-7a6b5c4d3e2f"},
                ],
                "workspaces": [{"slug": "w"}],
            },
            "users[1].uuid",
            "already used by users[0]",
        ),
    ],
)
def test_bad_uuids_name_the_entry_and_the_value(document: dict, where: str, value: str) -> None:
    with pytest.raises(DataError) as caught:
        load_document(document, source="test.yaml")
    message = str(caught.value)
    assert message.startswith(f"test.yaml: {where}:"), message
    assert value in message


@pytest.mark.parametrize(
    ("repository", "message"),
    [
        ({"slug": "r", "commits": "many"}, "repositories[0].commits: give a whole number"),
        ({"slug": "r", "commits": 0}, "repositories[0].commits: give a whole number"),
        ({"slug": "r", "branches": "develop"}, "repositories[0].branches: give a list"),
        ({"slug": "r", "parent": "w/later"}, "must be declared before the fork"),
        (
            {"slug": "r", "pull_requests": [{"title": "t", "reviewers": "demo"}]},
            "pull_requests[0].reviewers: give a list",
        ),
        (
            {"slug": "r", "pull_requests": [{"title": "t", "comments": [{"text": "x", "parent": 4}]}]},
            "pull_requests[0].comments[0].parent: no earlier comment 4",
        ),
        (
            {"slug": "r", "pull_requests": [{"title": "t", "comments": [{"text": "x", "inline": "a.py"}]}]},
            "comments[0].inline: give {path: FILE, to: LINE}",
        ),
    ],
)
def test_bad_repository_entries_are_reported_clearly(repository: dict, message: str) -> None:
    document = {"workspaces": [{"slug": "w", "repositories": [repository, {"slug": "later"}]}]}
    with pytest.raises(DataError, match=re.escape(message)):
        load_document(document, source="test.yaml")

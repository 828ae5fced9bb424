"""Kept statements never hold a written secret: the shell's history file and the server's access log
(tests/server/test_session_writes_clients.py checks the log end to end)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bitbucket_sql.engine.writes.masking import mask_secret_writes, mask_written_literals

WEBHOOK = ("INSERT INTO repository_webhooks (repository, url, events, secret) VALUES "
           "('api', 'https://h.example.com', '[\"repo:push\"]', 'top-secret-1')")


@pytest.mark.parametrize("sql", [
    WEBHOOK,
    "UPDATE acme.workspace_pipeline_variables SET value = 'v4lue' WHERE key = 'TOKEN'",
    "update \"my-team\".pipeline_variables set value = E'it''s-s3cret' where repository = 'api'",
    "INSERT INTO deploy_keys (repository, key, label) VALUES ('api', 'ssh-ed25519 AAAA', 'ci')",
    "INSERT INTO pipelines (repository, target_ref_name, variables) VALUES ('api', 'main', '[{\"value\": \"x\"}]')",
    "INSERT INTO repository_webhoks (url, secret) VALUES ('u', 'misspelled-table-secret')",
])
def test_writes_of_secret_columns_are_masked(sql: str) -> None:
    for masked in (mask_secret_writes(sql), mask_written_literals(sql)):
        assert "'********'" in masked
        assert not any(word in masked for word in ("top-secret-1", "v4lue", "s3cret", "AAAA", "misspelled-table"))


def test_other_statements_stay_as_written() -> None:
    branch = "INSERT INTO branches (repository, name, target_hash) VALUES ('api', 'x', 'abc')"
    assert mask_secret_writes(branch) == branch
    assert mask_written_literals(branch) == branch.replace("'api', 'x', 'abc'", "'********', '********', '********'")
    for query in ("SELECT 'secret' FROM t", "DELETE FROM tags WHERE name = 'v1'", "CALL x('y')"):
        assert mask_secret_writes(query) == query and mask_written_literals(query) == query


def test_the_shell_history_file_masks_secret_writes(tmp_path: Path) -> None:
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from bitbucket_sql.cli._repl import make_session

    path = tmp_path / "history"
    with create_pipe_input() as pipe:
        session = make_session([], history_path=path, input=pipe, output=DummyOutput())
        session.history.store_string(WEBHOOK)
        session.history.store_string("SELECT 1")
    kept = path.read_text(encoding="utf-8")
    assert "top-secret-1" not in kept and "secret) VALUES ('********'" in kept and "SELECT 1" in kept

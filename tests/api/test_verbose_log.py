"""Verbosity and Logfile: what each level writes, and that closing the client removes the handler."""

from __future__ import annotations

import logging
from pathlib import Path

from api_fake_server import FAKE_TOKEN, FakeState

from bitbucket_sql.api.client import BitbucketClient


def run_with_verbosity(root: str, verbosity: int, logfile: Path, fake: FakeState) -> str:
    fake.script("/2.0/user", 503)
    with BitbucketClient(
        f"BaseURL={root}/2.0;AccessToken={FAKE_TOKEN};Verbosity={verbosity};Logfile={logfile}",
        retry_base_delay=0.001,
    ) as client:
        client.get("/user", {"access_token": "query-secret-123"})
    return logfile.read_text()


def test_each_level_adds_detail(fake_server: tuple[str, FakeState], fake: FakeState, tmp_path: Path) -> None:
    root, _ = fake_server
    one = run_with_verbosity(root, 1, tmp_path / "v1.log", fake)
    assert "HTTP 503; retry 1" in one and "-> 200" not in one
    two = run_with_verbosity(root, 2, tmp_path / "v2.log", fake)
    assert "GET " in two and "-> 200 in" in two and "headers=" not in two
    three = run_with_verbosity(root, 3, tmp_path / "v3.log", fake)
    assert "'authorization': 'Bearer ********'" in three
    five = run_with_verbosity(root, 5, tmp_path / "v5.log", fake)
    assert "httpcore" in five and "HTTP Request: GET" in five
    for text in (one, two, three, five):
        assert FAKE_TOKEN not in text and "query-secret-123" not in text


def test_closing_the_client_removes_its_handler(fake_server: tuple[str, FakeState], tmp_path: Path) -> None:
    root, _ = fake_server
    package = logging.getLogger("bitbucket_sql")
    before = list(package.handlers)
    client = BitbucketClient(f"BaseURL={root}/2.0;Verbosity=2;Logfile={tmp_path / 'x.log'}")
    assert len(package.handlers) == len(before) + 1
    client.close()
    assert package.handlers == before

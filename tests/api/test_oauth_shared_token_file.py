"""Connections, threads and processes sharing one OAuth token file with Bitbucket's single-use,
rotating refresh tokens (the emulator rotates them the same way): exactly one of them spends
the refresh token, the others adopt the new tokens, and nothing is spent that cannot be saved."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from oauth_browser import ScriptedBrowser

from bitbucket_sql.api import errors
from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.api.oauth import TokenStore, authorization_code_login
from bitbucket_sql.api.settings import ConnectionSettings, parse_connection_string
from bitbucket_sql.emulator import run_emulator

CLIENT_ID, CLIENT_SECRET = "demo-client-id", "demo-client-secret"

CHILD = textwrap.dedent(
    """
    import hashlib, sys, time
    from pathlib import Path
    from bitbucket_sql.api.client import BitbucketClient

    connection, ready, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    with BitbucketClient(connection) as client:
        ready.touch()
        while not go.exists():
            time.sleep(0.002)
        kind = client.get("/user")["type"]
        access = client.auth._client.token["access_token"]
        print(kind, hashlib.sha256(access.encode()).hexdigest()[:12])
    """
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    with run_emulator(scale="tiny", seed=3) as emu:
        yield emu


def connection_string(emulator: Any, token_file: Path) -> str:
    return (
        f"BaseURL={emulator.base_url};AuthScheme=OAuth;OAuthClientId={CLIENT_ID};"
        f"OAuthClientSecret={CLIENT_SECRET};CallbackURL=http://127.0.0.1:0/callback;"
        f"OAuthSettingsLocation={token_file};InitiateOAuth=REFRESH;RetryBaseDelay=0.001"
    )


def sign_in_and_expire(emulator: Any, token_file: Path) -> tuple[ConnectionSettings, dict[str, Any]]:
    """Sign in, then mark the stored access token expired: the next use of it must refresh."""
    settings = parse_connection_string(connection_string(emulator, token_file))
    authorization_code_login(settings, open_browser=ScriptedBrowser().open, announce=lambda _: None, timeout=30)
    store = TokenStore(token_file)
    token = store.load(TokenStore.key(settings))
    assert token is not None
    store.save(TokenStore.key(settings), {**token, "expires_at": 1})
    return settings, token


def stored_token(token_file: Path) -> dict[str, Any]:
    tokens = json.loads(token_file.read_text())["tokens"]
    assert len(tokens) == 1
    return dict(next(iter(tokens.values())))


def refresh_is_accepted(emulator: Any, refresh_token: str) -> bool:
    answer = httpx.post(
        emulator.root_url + "/site/oauth2/access_token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    return answer.status_code == 200


def test_eight_threads_with_their_own_connections_refresh_once(emulator: Any, tmp_path: Path) -> None:
    token_file = tmp_path / "oauth.json"
    settings, before = sign_in_and_expire(emulator, token_file)
    clients = [BitbucketClient(settings) for _ in range(8)]
    start = threading.Barrier(len(clients))
    outcomes: list[Any] = [None] * len(clients)

    def use(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = clients[index].get("/user")["type"]
        except errors.BitbucketError as error:
            outcomes[index] = error

    threads = [threading.Thread(target=use, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert outcomes == ["user"] * len(clients)  # before: 2 of 8 failed with invalid_grant
        access_tokens = {client.auth._client.token["access_token"] for client in clients}
        assert len(access_tokens) == 1  # one refresh; the others adopted its tokens from the file
    finally:
        for client in clients:
            client.close()
    after = stored_token(token_file)
    assert after["refresh_token"] != before["refresh_token"]
    assert after["access_token"] in access_tokens


def test_six_processes_sharing_a_token_file_all_succeed(emulator: Any, tmp_path: Path) -> None:
    token_file = tmp_path / "oauth.json"
    sign_in_and_expire(emulator, token_file)
    go = tmp_path / "go"
    children = []
    for index in range(6):
        ready = tmp_path / f"ready-{index}"
        command = [sys.executable, "-c", CHILD, connection_string(emulator, token_file), str(ready), str(go)]
        children.append((ready, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    deadline = time.monotonic() + 120
    while not all(ready.exists() for ready, _ in children):
        assert time.monotonic() < deadline and all(child.poll() is None for _, child in children)
        time.sleep(0.01)
    go.touch()  # all six use their expired token at the same moment
    results = [child.communicate(timeout=120) for _, child in children]
    failures = [err for (_, child), (_, err) in zip(children, results, strict=True) if child.returncode != 0]
    assert failures == []  # before: 1-2 of 6 failed with invalid_grant
    printed = {out.split()[1] for out, _ in results}
    assert {out.split()[0] for out, _ in results} == {"user"}
    assert len(printed) == 1  # one refresh for all six processes
    stored = stored_token(token_file)["access_token"]
    assert printed == {hashlib.sha256(stored.encode()).hexdigest()[:12]}


def refresh_as_another_user(settings: ConnectionSettings, uid: int | None) -> tuple[int, str]:
    """Use the (expired) token in a forked child, as user ``uid`` when given; (exit code, error text).

    Forking keeps every module the parent imported, so the child needs no file access but the
    token folder's: root ignores permissions, so a root test drops to ``nobody`` for the refresh.
    """
    import bitbucket_sql.api.oauth  # noqa: F401 - loaded before the fork: the child may not read site-packages

    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(reader)
        code, said = 0, ""
        try:
            if uid is not None:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
            with BitbucketClient(settings) as client:
                client.get("/user")
        except errors.BitbucketError as error:
            code, said = 3, str(error)
        except BaseException as error:  # noqa: BLE001 - reported to the parent, which fails the test
            code, said = 4, repr(error)
        os.write(writer, said.encode())
        os._exit(code)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        said = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), said


def test_a_refresh_that_could_not_be_saved_is_not_spent(emulator: Any) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bbsql-ro-"))
    try:
        token_file = folder / "oauth.json"
        os.chmod(folder, 0o755)
        settings, before = sign_in_and_expire(emulator, token_file)
        lock_file = token_file.with_name(token_file.name + ".lock")
        uid = None
        if os.geteuid() == 0:  # root writes anywhere: refresh as nobody, who owns the files but not the folder
            uid = 65534
            for path in (token_file, lock_file):
                os.chown(path, uid, uid)
        else:
            os.chmod(folder, 0o500)
        code, said = refresh_as_another_user(settings, uid)
        os.chmod(folder, 0o700)
        assert code == 3, said
        assert "is not writable" in said and "was not used and stays valid" in said
        assert "OAuthSettingsLocation" in said
        assert stored_token(token_file)["refresh_token"] == before["refresh_token"]
        assert refresh_is_accepted(emulator, before["refresh_token"])  # before: spent, and its successor lost
    finally:
        shutil.rmtree(folder, ignore_errors=True)

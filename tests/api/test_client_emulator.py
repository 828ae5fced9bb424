"""The client against the emulator over HTTP: every scheme, both paging styles, faults, rate limits."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bitbucket_sql.api import errors
from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.emulator import run_emulator

API_TOKEN = "User=demo@example.com;APIToken=demo-api-token"
ALL_STATES = {"state": ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]}


def client_for(emulator: Any, credentials: str = API_TOKEN) -> BitbucketClient:
    return BitbucketClient(f"BaseURL={emulator.base_url};{credentials}", retry_base_delay=0.001)


def truth_pull_request_ids(emulator: Any, repo: str) -> list[int]:
    return sorted(emulator.store.repo_data("acme", repo).pullrequests)


def truth_commit_hashes(emulator: Any, repo: str) -> list[str]:
    return reachable_commit_order(emulator.store.repo_data("acme", repo))


def reachable_commit_order(data: Any) -> list[str]:
    """``/commits`` lists what ``git log --branches --tags`` would: the store may also hold commits that
    no branch or tag reaches any more (a deleted source branch), which Bitbucket does not list."""
    pending = [ref["target"]["hash"] for ref in [*data.branches.values(), *data.tags.values()]]
    seen: set[str] = set()
    while pending:
        sha = pending.pop()
        if sha in seen or sha not in data.commits:
            continue
        seen.add(sha)
        pending.extend(parent["hash"] for parent in data.commits[sha]["parents"])
    return [sha for sha in data.commit_order if sha in seen]


@pytest.mark.parametrize(
    ("credentials", "scheme"),
    [
        (API_TOKEN, "APIToken"),
        ("AccessToken=demo-access-token", "AccessToken"),
        ("OAuthClientId=demo-client-id;OAuthClientSecret=demo-client-secret", "Client"),
    ],
)
def test_each_token_scheme_reads_the_current_user(emulator: Any, credentials: str, scheme: str) -> None:
    with client_for(emulator, credentials) as client:
        assert client.auth.name == scheme
        assert client.get("/user")["type"] in ("user", "app_user", "team")
        assert [r["slug"] for r in client.paginate("/repositories/acme", pagelen=100)]


def test_wrong_api_token_is_a_401_with_a_hint(emulator: Any) -> None:
    with (
        client_for(emulator, "User=demo@example.com;APIToken=not-the-token") as client,
        pytest.raises(errors.AuthenticationError, match="AuthScheme=APIToken.*Atlassian account e-mail"),
    ):
        client.get("/user")


def test_basic_warns_that_app_passwords_are_gone(emulator: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bitbucket_sql"):
        client = client_for(emulator, "AuthScheme=Basic;User=demo;Password=old-app-password")
    assert "removed app passwords on 2026-07-28" in caplog.text
    with client, pytest.raises(errors.AuthenticationError, match="API token"):
        client.get("/user")


def test_anonymous_sees_only_public_data(emulator: Any) -> None:
    with client_for(emulator, "Workspace=acme") as client:
        assert client.auth.name == "None"
        visible = {r["slug"] for r in client.paginate("/repositories/acme", pagelen=100)}
    with emulator.store.lock:
        public = {r["slug"] for ws, r in emulator.store.repositories() if ws == "acme" and not r["is_private"]}
    assert visible == public


def test_list_style_paging_matches_the_store(emulator: Any) -> None:
    emulator.reset_stats()
    with client_for(emulator) as client:
        ids = [pr["id"] for pr in client.paginate("/repositories/acme/data-pipeline/pullrequests", ALL_STATES,
                                                 pagelen=2)]
    truth = truth_pull_request_ids(emulator, "data-pipeline")
    assert sorted(ids) == truth and len(ids) == len(set(ids))
    route = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests"
    assert emulator.stats()["routes"][route] == -(-len(truth) // 2)


def test_cursor_style_paging_matches_the_store(emulator: Any) -> None:
    with client_for(emulator) as client:
        hashes = [c["hash"] for c in client.paginate("/repositories/acme/data-pipeline/commits", pagelen=7)]
    assert hashes == truth_commit_hashes(emulator, "data-pipeline")


def test_concurrent_paging_over_every_repository(emulator: Any) -> None:
    with client_for(emulator) as client:
        repos = [r["slug"] for r in client.paginate("/repositories/acme", pagelen=100)]
        with client.recording() as rec:
            found: dict[str, list[int]] = {}
            for repo, pr in client.paginate_many(
                [(repo, f"/repositories/acme/{repo}/pullrequests", ALL_STATES) for repo in repos], pagelen=3
            ):
                found.setdefault(repo, []).append(pr["id"])
    for repo in repos:
        assert sorted(found.get(repo, [])) == truth_pull_request_ids(emulator, repo)
    assert rec.requests == sum(max(1, -(-len(truth_pull_request_ids(emulator, r)) // 3)) for r in repos)


def test_faults_are_retried_and_every_page_arrives_exactly_once() -> None:
    with run_emulator(scale="tiny", seed=1, fault_rate=0.3) as emu:
        with emu.store.lock:
            truth_prs = sorted(emu.store.repo_data("acme", "data-pipeline").pullrequests)
            truth_commits = reachable_commit_order(emu.store.repo_data("acme", "data-pipeline"))
        with client_for(emu, f"{API_TOKEN};MaxRetries=12") as client, client.recording() as rec:
            prs = [p["id"] for p in client.paginate("/repositories/acme/data-pipeline/pullrequests", ALL_STATES,
                                                   pagelen=2)]
            commits = [c["hash"] for c in client.paginate("/repositories/acme/data-pipeline/commits", pagelen=5)]
            repos = [r["slug"] for r in client.paginate("/repositories/acme", pagelen=2)]
            fanned: dict[str, list[int]] = {}
            for repo, pr in client.paginate_many(
                [(repo, f"/repositories/acme/{repo}/pullrequests", ALL_STATES) for repo in repos], pagelen=3
            ):
                fanned.setdefault(repo, []).append(pr["id"])
        with emu.store.lock:
            truth_repos = sorted(r["slug"] for ws, r in emu.store.repositories() if ws == "acme")
            truth_fanned = {r: sorted(emu.store.repo_data("acme", r).pullrequests) for r in truth_repos}
        assert sorted(repos) == truth_repos
        assert {r: sorted(ids) for r, ids in fanned.items()} == {r: ids for r, ids in truth_fanned.items() if ids}
        assert all(len(ids) == len(set(ids)) for ids in fanned.values())
    assert sorted(prs) == truth_prs and len(prs) == len(set(prs))
    assert commits == truth_commits
    assert rec.retries > 0  # faults happened and were absorbed
    seen = {e for r in rec.records for e in r.attempt_errors}
    assert seen <= {"HTTP 500", "HTTP 502", "HTTP 503", "HTTP 504", "RemoteProtocolError", "ReadError"}, seen


def test_rate_limit_429_after_retries_and_recovery_when_the_window_rolls() -> None:
    with run_emulator(scale="tiny", seed=1, rate_limit=3, retry_after=1) as emu:
        slept: list[float] = []
        with BitbucketClient(
            f"BaseURL={emu.base_url};{API_TOKEN};MaxRetries=2;MaxRetryWait=10", sleep=slept.append
        ) as client:
            for _ in range(3):
                client.get("/user")
            with pytest.raises(errors.RateLimitedError, match="tried 3 times.*hourly request budget"):
                client.get("/user")
            assert slept == [1.0, 1.0]  # Retry-After honoured
            assert client.rate_limit.used_last_hour == 6
        with BitbucketClient(
            f"BaseURL={emu.base_url};{API_TOKEN};MaxRetries=2;MaxRetryWait=5000",
            sleep=lambda seconds: emu.advance_time(3600),  # the backoff outlasts the rolling hour
        ) as client, client.recording() as rec:
            assert client.get("/user")["type"] == "user"
        assert rec.retries == 1 and rec.records[0].attempt_errors == ("HTTP 429",)


def test_access_tokens_see_rate_limit_headers() -> None:
    with (
        run_emulator(scale="tiny", seed=1, rate_limit=100) as emu,
        BitbucketClient(f"BaseURL={emu.base_url};AccessToken=demo-access-token;RateLimitPerHour=100") as client,
    ):
        client.get("/repositories/acme/api")
        figures = client.rate_limit
    assert figures.limit == 100 and figures.used_last_hour >= 1
    assert figures.remaining == 100 - figures.used_last_hour
    assert figures.headers.get("X-RateLimit-Limit") == "100"


def test_recording_counts_requests_made_by_worker_threads(emulator: Any) -> None:
    with client_for(emulator) as client:
        with client.recording() as outer:
            list(client.get_many([(n, "/user", {"n": n}) for n in range(6)]))
            with client.recording() as inner:
                client.get("/repositories/acme/api")
        assert (outer.requests, inner.requests) == (7, 1)
        assert outer.bytes > inner.bytes > 0
        assert client.stats.requests == 7
        client.get("/user")
        assert outer.requests == 7  # finished recordings stop counting


def test_not_found_and_gone_from_the_emulator(emulator: Any) -> None:
    with client_for(emulator) as client:
        with pytest.raises(errors.NotFoundError, match="repository 'acme/no-such-repo'"):
            client.get("/repositories/acme/no-such-repo")
        with pytest.raises(errors.GoneError, match="2026-08-20"):
            client.get("/repositories/acme/api/issues")
        with pytest.raises(errors.ValidationError, match="(?i)pagelen"):
            client.get("/repositories/acme/api/pullrequests", {"pagelen": 100})


def test_writes_map_403_409_and_400_from_the_emulator() -> None:
    """Writes get their own emulator: they change data other tests read."""
    with run_emulator(scale="tiny", seed=1) as emu:
        with client_for(emu, "AccessToken=demo-readonly-token") as reader, pytest.raises(
            errors.PermissionDeniedError, match="repository:write"
        ):
            reader.post("/repositories/acme/api/refs/branches", {"name": "x", "target": {"hash": "0" * 40}})
        with client_for(emu) as writer:
            body = {"name": "Staging 2", "environment_type": {"name": "Staging"}}
            created = writer.post("/repositories/acme/api/environments", body)
            assert created["name"] == "Staging 2"
            with pytest.raises(errors.ConflictError, match="already exists"):
                writer.post("/repositories/acme/api/environments", body)
            with pytest.raises(errors.ValidationError):
                writer.post("/repositories/acme/api/environments", {"environment_type": {"name": "Staging"}})


def test_a_base_url_without_the_api_version_is_named_on_404(emulator: Any) -> None:
    with (
        BitbucketClient(f"BaseURL={emulator.root_url};AccessToken=demo-access-token") as client,
        pytest.raises(errors.NotFoundError) as caught,
    ):
        client.get("/repositories/acme")
    assert f"BaseURL usually ends with /2.0 (https://api.bitbucket.org/2.0), but it is {emulator.root_url}" in str(
        caught.value
    )
    with (
        BitbucketClient(f"BaseURL={emulator.base_url};AccessToken=demo-access-token") as client,
        pytest.raises(errors.NotFoundError) as caught,
    ):
        client.get("/repositories/no-such-workspace")
    assert "workspace 'no-such-workspace' was not found" in str(caught.value)
    assert "BaseURL" not in str(caught.value)  # the right BaseURL is not blamed for a wrong slug

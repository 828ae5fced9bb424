"""Error mapping, retries, redirects and the cross-host rule, against the fake server."""

from __future__ import annotations

import re
import socket

import pytest
from api_fake_server import FAKE_TOKEN, FakeState, make_app, serve

from bitbucket_sql.api import errors
from bitbucket_sql.api.client import BitbucketClient


@pytest.mark.parametrize(
    ("status", "error_type", "words"),
    [
        (400, errors.ValidationError, ["Invalid query", "q: Unknown field 'colour'"]),
        (401, errors.AuthenticationError, ["AuthScheme=AccessToken", "Access token expired"]),
        (403, errors.PermissionDeniedError, ["privilege scopes"]),
        (404, errors.NotFoundError, ["/user was not found"]),
        (409, errors.ConflictError, ["DEPLOY already exists"]),
        (410, errors.GoneError, ["2026-08-20", "Jira"]),
    ],
)
def test_each_status_maps_to_its_error(
    fake_client: BitbucketClient, fake: FakeState, status: int, error_type: type, words: list[str]
) -> None:
    fake.script("/2.0/user", status)
    with pytest.raises(error_type) as caught:
        fake_client.get("/user")
    error = caught.value
    assert error.status == status
    assert error.method == "GET" and error.url.endswith("/2.0/user")
    for word in words:
        assert word in str(error)
    assert FAKE_TOKEN not in str(error)
    assert len(fake.requests_to("/2.0/user")) == 1  # 4xx is never retried


def test_not_found_names_the_repository() -> None:
    error = errors.error_for_status(
        404, method="GET", url="https://api.bitbucket.org/2.0/repositories/acme/nope/pullrequests/7",
        body={"type": "error", "error": {"message": "Not found"}}, attempts=1, auth_scheme="APIToken",
    )
    assert "pull request '7' in repository 'acme/nope' was not found" in str(error)


def test_forbidden_names_the_missing_scope_when_the_api_says() -> None:
    error = errors.error_for_status(
        403, method="GET", url="https://api.bitbucket.org/2.0/repositories/acme/api/pipelines",
        body={"type": "error", "error": {"message": "Forbidden"}}, attempts=1, auth_scheme="OAuth",
        headers={"X-Accepted-OAuth-Scopes": "pipeline", "X-OAuth-Scopes": "repository account"},
    )
    assert "needs scope(s): pipeline; the credential has: repository account" in str(error)


def test_basic_401_explains_that_app_passwords_are_gone() -> None:
    error = errors.error_for_status(401, method="GET", url="https://api.bitbucket.org/2.0/user", body="",
                                    attempts=1, auth_scheme="Basic")
    assert "removed app passwords on 2026-07-28" in str(error)
    assert "AuthScheme=APIToken" in str(error)


def test_server_errors_are_retried_until_they_pass(fake_client: BitbucketClient, fake: FakeState) -> None:
    fake.script("/2.0/user", 503, 502, 500)
    assert fake_client.get("/user")["display_name"] == "Fake User"
    assert len(fake.requests_to("/2.0/user")) == 4
    assert fake_client.stats.retries == 3


def test_server_errors_after_every_retry_raise(fake_client: BitbucketClient, fake: FakeState) -> None:
    fake.script("/2.0/user", 500, 500, 500, 500, 500)
    with pytest.raises(errors.ServerError, match="tried 4 times"):
        fake_client.get("/user")
    assert len(fake.requests_to("/2.0/user")) == 4  # MaxRetries=3


def test_429_honours_retry_after_and_then_succeeds(fake_server: tuple[str, FakeState], fake: FakeState) -> None:
    root, _ = fake_server
    slept: list[float] = []
    client = BitbucketClient(f"BaseURL={root}/2.0;MaxRetries=3", retry_base_delay=0.001, sleep=slept.append)
    fake.script("/2.0/user", (429, {"Retry-After": "2"}), 429)
    assert client.get("/user")["type"] == "user"
    assert slept[0] == 2.0  # the server's Retry-After wins
    assert 0 <= slept[1] <= 0.002  # without it: full-jitter exponential backoff
    client.close()


def test_429_that_outlasts_the_wait_budget_raises_rate_limited(
    fake_server: tuple[str, FakeState], fake: FakeState
) -> None:
    root, _ = fake_server
    client = BitbucketClient(f"BaseURL={root}/2.0;MaxRetryWait=1", sleep=lambda s: None)
    fake.script("/2.0/user", (429, {"Retry-After": "3600"}))
    with pytest.raises(errors.RateLimitedError, match="Rate limit for this resource has been exceeded"):
        client.get("/user")
    assert len(fake.requests_to("/2.0/user")) == 1
    client.close()


def test_dropped_connections_are_retried(fake_client: BitbucketClient, fake: FakeState) -> None:
    fake.script("/2.0/user", "drop", "drop")
    assert fake_client.get("/user")["type"] == "user"
    with fake_client.recording() as rec:
        fake.script("/2.0/user", "drop")
        fake_client.get("/user")
    assert rec.retries == 1
    assert rec.records[0].attempt_errors and "Error" in rec.records[0].attempt_errors[0]


def test_timeouts_become_transport_errors(fake_server: tuple[str, FakeState], fake: FakeState) -> None:
    root, _ = fake_server
    settings = f"BaseURL={root}/2.0;Timeout=0.05;MaxRetries=1"
    with (
        BitbucketClient(settings, retry_base_delay=0.001) as client,
        pytest.raises(
            errors.TransportError, match=r"Timeout.*tried 2 times over \d+\.\d s.*Timeout=0.05.*MaxRetries=0 fails at once"
        ),
    ):
        client.get("/slow", {"s": "0.5"})


def test_connections_dropped_every_time_say_how_long_and_how_to_fail_faster(
    fake_client: BitbucketClient, fake: FakeState
) -> None:
    fake.script("/2.0/user", "drop", "drop", "drop", "drop")
    with pytest.raises(errors.TransportError) as caught:
        fake_client.get("/user")
    assert len(fake.requests_to("/2.0/user")) == 4  # MaxRetries=3: dropped connections are retried
    assert re.search(r"tried 4 times over \d+\.\d s\.", str(caught.value))
    assert "Check the network connection and BaseURL (MaxRetries=0 fails at once)" in str(caught.value)
    assert caught.value.attempts == 4 and caught.value.elapsed is not None


def test_a_refused_connection_on_this_machine_fails_at_once() -> None:
    """Nothing listens on the port: six retries over 15-20 s would not start a server."""
    with socket.socket() as reserved:  # bound but not listening: connecting is refused
        reserved.bind(("127.0.0.1", 0))
        port = reserved.getsockname()[1]
        with (
            BitbucketClient(f"BaseURL=http://127.0.0.1:{port}/2.0;MaxRetries=5") as client,
            client.recording() as rec,
            pytest.raises(errors.TransportError, match="connection refused") as caught,
        ):
            client.get("/user")
    assert rec.retries == 0 and caught.value.attempts == 1
    assert f"Nothing is listening on 127.0.0.1:{port}; start the server or fix BaseURL" in str(caught.value)


def test_post_is_not_retried_unless_marked_idempotent(fake_client: BitbucketClient, fake: FakeState) -> None:
    fake.script("/2.0/echo", 503)
    with pytest.raises(errors.ServerError):
        fake_client.post("/echo", {"a": 1})
    assert len(fake.requests_to("/2.0/echo")) == 1
    fake.script("/2.0/echo", 503)
    assert fake_client.post("/echo", {"a": 1}, idempotent=True)["method"] == "POST"
    assert len(fake.requests_to("/2.0/echo")) == 3


def test_non_json_answers_are_explained(fake_client: BitbucketClient) -> None:
    with pytest.raises(errors.BitbucketError, match="expected JSON.*BaseURL"):
        fake_client.get("/text")


def test_same_host_redirects_are_followed(fake_client: BitbucketClient, fake: FakeState) -> None:
    assert fake_client.get("/redirect-here")["type"] == "user"
    assert fake.requests_to("/2.0/user")[0].authorization == f"Bearer {FAKE_TOKEN}"


def test_cross_host_next_links_and_redirects_are_refused() -> None:
    """A second server on another loopback address must never see the credential."""
    other = FakeState()
    with serve(make_app(other), host="127.0.0.2") as other_root:
        main = FakeState(other_origin=other_root)
        with serve(make_app(main)) as root, BitbucketClient(
            f"BaseURL={root}/2.0;AccessToken={FAKE_TOKEN}", retry_base_delay=0.001
        ) as client:
            with pytest.raises(errors.CrossHostError, match="'next' link pointed to http://127.0.0.2"):
                list(client.paginate("/crosshost"))
            with pytest.raises(errors.CrossHostError, match="redirect"):
                client.get("/redirect-away")
            with pytest.raises(errors.CrossHostError):
                client.get(f"{other_root}/2.0/user")
    assert other.received == []
    assert all(r.authorization == f"Bearer {FAKE_TOKEN}" for r in main.received)


def test_user_agent_names_the_product(fake_server: tuple[str, FakeState], fake: FakeState) -> None:
    root, _ = fake_server
    with BitbucketClient(f"BaseURL={root}/2.0;UserAgent=ci-job/7") as client:
        client.get("/user")
    assert fake.requests_to("/2.0/user")[0].user_agent == "bitbucket-sql/0.1.0 (+httpx) ci-job/7"
    assert fake.requests_to("/2.0/user")[0].authorization is None  # AuthScheme None: anonymous


def test_errors_survive_pickling() -> None:
    import pickle

    error = errors.NotFoundError("gone", status=404, method="GET", url="https://h/2.0/x?access_token=s3cret")
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.status == 404
    assert "s3cret" not in str(copy)

"""SCRAM-SHA-256 verifiers and the server side of the exchange, driven by scramp's client."""

from __future__ import annotations

import pytest
from scramp import ScramClient

from bitbucket_sql.server.auth import (
    AuthenticationFailed,
    ScramExchange,
    check_cleartext,
    make_verifier,
    parse_verifier,
)


def _login(verifier: object, password: str) -> bytes:
    client = ScramClient(["SCRAM-SHA-256"], "someone", password)
    exchange = ScramExchange(verifier)  # type: ignore[arg-type]
    client.set_server_first(exchange.first(client.get_client_first().encode()).decode())
    final = exchange.final(client.get_client_final().encode())
    client.set_server_final(final.decode())  # the client checks the server's signature too
    return final


def test_the_right_password_logs_in_and_the_server_proves_it_knows_the_verifier() -> None:
    assert _login(make_verifier("s3cret"), "s3cret").startswith(b"v=")


def test_a_wrong_password_fails() -> None:
    with pytest.raises(AuthenticationFailed, match="password authentication failed"):
        _login(make_verifier("s3cret"), "guess")


def test_an_unknown_user_fails_the_same_way_at_the_same_step() -> None:
    with pytest.raises(AuthenticationFailed, match="password authentication failed"):
        _login(None, "anything")


def test_a_verifier_round_trips_in_postgresqls_format_and_hides_its_keys() -> None:
    verifier = make_verifier("pw")
    text = str(verifier)
    assert text.startswith("SCRAM-SHA-256$4096:")
    assert parse_verifier(text) == verifier
    assert "pw" not in text.split("$", 1)[1].split(":")[0]
    assert verifier.stored_key.hex() not in repr(verifier)


@pytest.mark.parametrize("bad", ["plain-password", "SCRAM-SHA-256$x:abc$def:ghi", "md5abc", ""])
def test_malformed_verifiers_are_refused_without_echoing_them(bad: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_verifier(bad)
    assert not bad or bad not in str(caught.value)


def test_cleartext_check_uses_the_verifier() -> None:
    verifier = make_verifier("open sesame")
    assert check_cleartext("open sesame", verifier)
    assert not check_cleartext("open", verifier)
    assert not check_cleartext("open sesame", None)


def test_a_garbage_client_first_message_is_an_authentication_failure() -> None:
    with pytest.raises(AuthenticationFailed):
        ScramExchange(make_verifier("x")).first(b"\xff\xfe garbage")

"""Password authentication: SCRAM-SHA-256 verifiers (PostgreSQL's format) and the server side of the
exchange, through the ``scramp`` library rather than hand-written cryptography.

A verifier is ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`` (base64), the
format of ``pg_authid.rolpassword``: the password itself is never stored. Unknown users go
through the same exchange against a throwaway verifier, so a client cannot tell a wrong user
from a wrong password.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from dataclasses import dataclass

from scramp import ScramException, ScramMechanism  # type: ignore[import-untyped]

MECHANISM = "SCRAM-SHA-256"
ITERATIONS = 4096

_mechanism = ScramMechanism(MECHANISM)


@dataclass(frozen=True)
class Verifier:
    iterations: int
    salt: bytes
    stored_key: bytes
    server_key: bytes

    def __str__(self) -> str:
        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode("ascii")

        return f"{MECHANISM}${self.iterations}:{b64(self.salt)}${b64(self.stored_key)}:{b64(self.server_key)}"

    def __repr__(self) -> str:  # keys are password-equivalent for SCRAM replay; never shown
        return f"Verifier(iterations={self.iterations}, ...)"


def make_verifier(password: str, iterations: int = ITERATIONS) -> Verifier:
    """A fresh verifier (random salt) for ``password``."""
    salt, stored_key, server_key, count = _mechanism.make_auth_info(password, iteration_count=iterations)
    return Verifier(count, salt, stored_key, server_key)


def parse_verifier(text: str) -> Verifier:
    """Parse PostgreSQL's verifier format; ValueError says what is wrong (never echoing it)."""
    try:
        mechanism, rest = text.split("$", 1)
        iteration_salt, keys = rest.split("$", 1)
        iterations_text, salt_b64 = iteration_salt.split(":", 1)
        stored_b64, server_b64 = keys.split(":", 1)
        iterations = int(iterations_text)
        salt = base64.b64decode(salt_b64, validate=True)
        stored = base64.b64decode(stored_b64, validate=True)
        server = base64.b64decode(server_b64, validate=True)
    except (ValueError, binascii.Error):
        raise ValueError(
            f"is not a {MECHANISM} verifier ({MECHANISM}$<iterations>:<salt>$<StoredKey>:<ServerKey>)"
        ) from None
    if mechanism != MECHANISM or iterations < 1 or len(stored) != 32 or len(server) != 32 or not salt:
        raise ValueError(f"is not a valid {MECHANISM} verifier")
    return Verifier(iterations, salt, stored, server)


def _mock_verifier() -> Verifier:
    return Verifier(ITERATIONS, secrets.token_bytes(16), secrets.token_bytes(32), secrets.token_bytes(32))


class AuthenticationFailed(Exception):
    """Wrong user or password (28P01); the message never says which."""


class ScramExchange:
    """The server side of one SCRAM-SHA-256 exchange (RFC 5802/7677 as PostgreSQL uses it).

    PostgreSQL ignores the user name inside the SCRAM messages (libpq sends an empty one): the
    verifier is always the startup user's.
    """

    def __init__(self, verifier: Verifier | None) -> None:
        self._known = verifier is not None
        chosen = verifier or _mock_verifier()
        info = (chosen.salt, chosen.stored_key, chosen.server_key, chosen.iterations)
        self._server = _mechanism.make_server(lambda _username: info)

    def first(self, client_first: bytes) -> bytes:
        """server-first-message for the client-first-message."""
        try:
            text = client_first.decode("utf-8")
            gs2_end = _gs2_header_end(text)
            bare = text[gs2_end:]
            if bare.startswith("n=,"):
                # libpq sends an empty SCRAM user name (PostgreSQL uses the startup packet's), which
                # scramp refuses; parse with a placeholder, then restore the bare message the
                # client signed, because the proof covers it byte for byte.
                self._server.set_client_first(text[:gs2_end] + "n=*," + bare[3:])
                self._server.client_first_bare = bare
            else:
                self._server.set_client_first(text)
            return self._server.get_server_first().encode("utf-8")
        except (ScramException, UnicodeDecodeError) as error:
            raise AuthenticationFailed(f"invalid SCRAM message: {_first_line(error)}") from None

    def final(self, client_final: bytes) -> bytes:
        """server-final-message; AuthenticationFailed when the proof is wrong or the user unknown."""
        try:
            self._server.set_client_final(client_final.decode("utf-8"))
            answer = self._server.get_server_final().encode("utf-8")
        except (ScramException, UnicodeDecodeError):
            raise AuthenticationFailed("password authentication failed") from None
        if not self._known:
            raise AuthenticationFailed("password authentication failed")
        return answer


def check_cleartext(password: str, verifier: Verifier | None) -> bool:
    """A clear-text password (only ever accepted over TLS) against the verifier."""
    if verifier is None:
        return False
    salt_info = _mechanism.make_auth_info(password, iteration_count=verifier.iterations, salt=verifier.salt)
    return hmac.compare_digest(salt_info[1], verifier.stored_key)


def _gs2_header_end(text: str) -> int:
    """Index just past the GS2 header (``n,,`` / ``y,,`` / ``p=...,a=...,``)."""
    first = text.find(",")
    second = text.find(",", first + 1) if first >= 0 else -1
    if second < 0:
        raise AuthenticationFailed("invalid SCRAM client-first message")
    return second + 1


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else error.__class__.__name__

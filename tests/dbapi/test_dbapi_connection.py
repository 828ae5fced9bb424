"""Connection: properties, transactions (read-only), closing, context manager, no secrets shown."""

from __future__ import annotations

from typing import Any

import pytest

import bitbucket_sql
from _helpers_connect import DEMO_TOKEN, DEMO_USER
from bitbucket_sql import dbapi


def test_connect_with_a_connection_string_answers_queries(connection_string: str) -> None:
    with bitbucket_sql.connect(connection_string) as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT slug FROM repositories")
        assert cursor.fetchall()


def test_keys_are_case_insensitive_and_keywords_work(emulator: Any) -> None:
    shouted = f"BASEURL={emulator.base_url};workspace=acme;authscheme=APIToken;USER={DEMO_USER}"
    with bitbucket_sql.connect(shouted, apitoken=DEMO_TOKEN) as conn:
        assert conn.workspace == "acme"
        assert conn.cursor().execute("SELECT count(*) FROM repositories").fetchone()[0] > 0
    with bitbucket_sql.connect(
        BaseURL=emulator.base_url,
        Workspace="acme",
        AuthScheme="APIToken",
        User=DEMO_USER,
        APIToken=DEMO_TOKEN,
    ) as conn:
        assert conn.cursor().execute("SELECT count(*) FROM repositories").fetchone()[0] > 0


def test_keyword_properties_override_the_string(emulator: Any, connection_string: str) -> None:
    with bitbucket_sql.connect(connection_string, Workspace="globex") as conn:
        assert conn.workspace == "globex"


def test_unknown_property_is_a_programming_error_naming_it() -> None:
    with pytest.raises(dbapi.ProgrammingError, match="Wrkspace") as raised:
        bitbucket_sql.connect("Wrkspace=acme")
    assert "Workspace" in str(raised.value)  # the closest property is suggested
    assert raised.value.__cause__ is not None


def test_missing_credential_is_a_programming_error() -> None:
    with pytest.raises(dbapi.ProgrammingError, match="APIToken"):
        bitbucket_sql.connect("AuthScheme=APIToken;User=someone@example.com")


def test_connection_string_must_be_text() -> None:
    with pytest.raises(dbapi.InterfaceError, match="must be a str"):
        bitbucket_sql.connect(42)  # type: ignore[arg-type]


def test_commit_and_rollback_are_no_ops_on_a_read_only_connection(conn: Any) -> None:
    assert conn.commit() is None
    assert conn.rollback() is None
    assert conn.cursor().execute("SELECT 1 AS one").fetchone() == (1,)


def test_closed_connection_refuses_use_with_interface_error(connection_string: str) -> None:
    conn = bitbucket_sql.connect(connection_string)
    cursor = conn.cursor()
    conn.close()
    assert conn.closed
    conn.close()  # closing twice is harmless
    for use in (conn.cursor, conn.commit, conn.rollback, lambda: cursor.execute("SELECT 1")):
        with pytest.raises(dbapi.InterfaceError, match="closed"):
            use()


def test_context_manager_closes_the_connection(connection_string: str) -> None:
    with bitbucket_sql.connect(connection_string) as conn:
        assert not conn.closed
    assert conn.closed


def test_repr_and_errors_never_show_the_token(emulator: Any) -> None:
    secret = "not-a-real-token-1234567890"
    conn = bitbucket_sql.connect(
        f"BaseURL={emulator.base_url};Workspace=acme;AuthScheme=APIToken;User={DEMO_USER};APIToken={secret}"
    )
    try:
        assert secret not in repr(conn)
        with pytest.raises(dbapi.OperationalError) as raised:
            conn.cursor().execute("SELECT slug FROM repositories")
        assert secret not in str(raised.value)
        assert secret not in repr(raised.value)
    finally:
        conn.close()
    assert secret not in repr(conn)


def test_connecting_sends_no_request(emulator: Any, connection_string: str) -> None:
    emulator.reset_stats()
    with bitbucket_sql.connect(connection_string) as conn:
        conn.cursor()
        assert emulator.stats()["total"] == 0

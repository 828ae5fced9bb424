"""The token never shows: not in repr(engine), the URL's str, SQLAlchemy's logs, the driver's logs or errors."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from dialect_helpers import emulator_url, require_module

from _helpers_connect import DEMO_TOKEN, DEMO_USER

sqlalchemy = require_module("sqlalchemy", "sqlalchemy")


def secret_forms(token: str) -> list[str]:
    """The token as given and as it travels in a Basic Authorization header."""
    return [token, base64.b64encode(f"{DEMO_USER}:{token}".encode()).decode()]


def test_repr_and_str_of_the_engine_mask_the_token(url: str) -> None:
    engine = sqlalchemy.create_engine(url)
    shown = [repr(engine), str(engine.url), repr(engine.url), repr(engine.pool), repr(engine.dialect)]
    engine.dispose()
    assert "***" in repr(engine)
    for text in shown:
        assert DEMO_TOKEN not in text


def test_echo_and_verbose_driver_logs_never_hold_the_token(
    emulator: Any, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], repository: str
) -> None:
    engine = sqlalchemy.create_engine(emulator_url(emulator, Verbosity="5"), echo="debug", echo_pool="debug")
    with caplog.at_level(logging.DEBUG), engine.connect() as connection:
        rows = connection.execute(
            sqlalchemy.text("SELECT id, title FROM pull_requests WHERE repository = :repo LIMIT 2"),
            {"repo": repository},
        ).all()
        sqlalchemy.inspect(connection).get_columns("pull_requests")
    engine.dispose()
    captured = capfd.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert rows and "pull_requests" in caplog.text  # SQLAlchemy's echo was on
    assert "/2.0/repositories/acme/" in logged  # the driver's request log was on
    for secret in secret_forms(DEMO_TOKEN):
        assert secret not in logged


def test_a_refused_token_is_not_echoed_in_the_error(emulator: Any) -> None:
    wrong = "wrong-token-0123456789"
    engine = sqlalchemy.create_engine(emulator_url(emulator, token=wrong))
    with engine.connect() as connection, pytest.raises(sqlalchemy.exc.DBAPIError) as raised:
        connection.exec_driver_sql("SELECT slug FROM repositories")
    engine.dispose()
    message = str(raised.value) + repr(raised.value) + str(raised.value.orig)
    assert "401" in message or "credential" in message.lower() or "token" in message.lower()
    for secret in secret_forms(wrong):
        assert secret not in message


def test_a_bad_url_value_error_does_not_echo_the_token(url: str) -> None:
    engine = sqlalchemy.create_engine(url + "&Timeout=soon")
    with pytest.raises(sqlalchemy.exc.DBAPIError) as raised:
        engine.connect()
    engine.dispose()
    assert "Timeout" in str(raised.value)
    assert DEMO_TOKEN not in str(raised.value) + repr(raised.value)

"""The public interface the DB-API and CLI rely on."""

from __future__ import annotations

from typing import Any

import pytest
from engine_helpers import settings_for

from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.engine import Engine, EngineError, QueryResult


def test_engine_with_a_shared_client_leaves_it_open(emulator: Any) -> None:
    settings = settings_for(emulator)
    client = BitbucketClient(settings)
    try:
        engine = Engine(settings, client)
        assert engine.client is client and engine.default_schema == "acme"
        result = engine.execute("SELECT slug FROM repositories WHERE slug = ?", ["api"])
        assert isinstance(result, QueryResult) and result.rows == [("api",)]
        engine.close()
        engine.close()  # closing twice is harmless
        with pytest.raises(EngineError, match="closed"):
            engine.execute("SELECT 1")
        assert client.get("/repositories/acme/api")["slug"] == "api"  # still usable
    finally:
        client.close()


def test_engine_owns_the_client_it_creates(emulator: Any) -> None:
    with Engine(settings_for(emulator)) as engine:
        assert engine.execute("SELECT count(*) FROM repositories").rows[0][0] > 0


def test_explain_method_and_statement_agree(emulator: Any) -> None:
    with Engine(settings_for(emulator)) as engine:
        sql = "SELECT id FROM pull_requests WHERE repository = 'api' AND state = ?"
        by_method = engine.explain(sql, ["OPEN"]).rows
        by_statement = engine.execute("EXPLAIN " + sql, ["OPEN"]).rows
        assert by_method == by_statement
        assert any('q: state = "OPEN"' in row[0] for row in by_method)

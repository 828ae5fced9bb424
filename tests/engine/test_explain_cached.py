"""EXPLAIN of a query whose rows are cached sends no request (issue 14): the counts it would
sample are read from the scan cache (memory or persistent), and the estimate says so."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import settings_for

from bitbucket_sql.engine import Engine

#: several repositories, so a cold EXPLAIN samples the first page of two of them
EVERY_REPOSITORY = "SELECT repository, id, title FROM pull_requests WHERE state = 'OPEN'"


re_cached = re.compile(r"estimate: ~\d+ requests.*\(1 of \d+ scopes from the scan cache \(\d+ rows\)")


def _explain(engine: Engine, sql: str) -> str:
    return "\n".join(row[0] for row in engine.execute(f"EXPLAIN {sql}").rows)


@pytest.mark.parametrize("mode", ["memory", "persistent"])
def test_explain_of_a_cached_query_sends_no_request(emulator: Any, tmp_path: Path, mode: str) -> None:
    engine = Engine(settings_for(emulator, Cache=mode, CacheTTL=300, CacheLocation=str(tmp_path / "cache")))
    try:
        cold = _explain(engine, EVERY_REPOSITORY)
        assert "sampled 2 scopes" in cold  # before anything is cached, EXPLAIN samples
        expected = engine.execute(EVERY_REPOSITORY).rows
        emulator.reset_stats()
        text = _explain(engine, EVERY_REPOSITORY)
        assert emulator.stats()["total"] == 0, (emulator.stats(), text)
        assert "all from the scan cache" in text, text
        assert "Estimate: ~0 requests" in text, text
        rows = len(expected)
        assert f"({rows} rows), no request" in text, text
    finally:
        engine.close()


def test_explain_counts_the_cached_scopes_and_samples_only_the_others(make_engine: Any, emulator: Any) -> None:
    engine = make_engine(Cache="memory", CacheTTL=300)
    engine.execute("SELECT id FROM pull_requests WHERE repository = 'api' AND state = 'OPEN'")
    emulator.reset_stats()
    text = _explain(engine, EVERY_REPOSITORY)
    assert re_cached.search(text), text
    # the repositories listing (not cached: the first query named its repository), then samples
    # of scopes not cached only
    assert emulator.stats()["total"] <= 3, emulator.stats()

"""Adaptive page size of the range early stop (issue 14): when a range bounds the rows needed,
scopes read after the first MaxConcurrency ones ask for about as many rows as the first ones
held in range, not full pages of rows thrown away, with no request added."""

from __future__ import annotations

from typing import Any

from engine_helpers import canonical

from bitbucket_sql.engine.fetcher import ADAPTED_EXTRA, adapted_pagelen

FAILED_THIS_MONTH = """
SELECT p.repository, p.build_number, s.name AS step
FROM pipelines AS p JOIN pipeline_steps AS s ON s.repository = p.repository AND s.pipeline_uuid = p.uuid
WHERE p.state_result_name <> 'SUCCESSFUL' AND p.created_on >= TIMESTAMPTZ '2026-09-01 00:00:00+00'
"""
RECENT_PIPELINES = "SELECT repository, uuid FROM pipelines WHERE created_on >= TIMESTAMPTZ '2026-10-15 00:00:00+00'"


def test_the_page_size_follows_the_rows_in_range_the_first_scopes_held() -> None:
    assert adapted_pagelen(100, [13, 31, 18]) == 47 + ADAPTED_EXTRA  # 1.5 x 31 rounded up, plus a few
    assert adapted_pagelen(100, [0, 0]) == ADAPTED_EXTRA  # nothing in range: a few rows still show the end
    assert adapted_pagelen(100, [70]) == 100  # never above the maximum
    assert adapted_pagelen(100, [12, 100]) == 100  # a scope filled a page: full pages for every scope
    assert adapted_pagelen(100, []) == 100


def test_later_scopes_fetch_fewer_rows_with_the_same_requests(make_engine: Any, reference: Any) -> None:
    # MaxConcurrency=2: the first 2 repositories are read with full pages, the others adapted;
    # MaxConcurrency=8 reads every repository of the tiny workspace in the first wave (full pages)
    adaptive = make_engine(MaxConcurrency=2).execute(RECENT_PIPELINES)
    full = make_engine(MaxConcurrency=8).execute(RECENT_PIPELINES)
    assert canonical(adaptive.rows) == canonical(full.rows) == canonical(reference.execute(RECENT_PIPELINES).rows)
    assert adaptive.rows and adaptive.stats.requests == full.stats.requests
    assert adaptive.stats.rows_fetched < full.stats.rows_fetched


def test_a_join_from_a_range_stopped_scan_gives_the_same_answer(make_engine: Any, reference: Any) -> None:
    adaptive = make_engine(MaxConcurrency=2).execute(FAILED_THIS_MONTH)
    full = make_engine(MaxConcurrency=8).execute(FAILED_THIS_MONTH)
    assert canonical(adaptive.rows) == canonical(full.rows) == canonical(reference.execute(FAILED_THIS_MONTH).rows)
    assert adaptive.rows and adaptive.stats.requests == full.stats.requests

"""The lower-bound scheduler: rounds for request forests over a bounded number of connections."""

from __future__ import annotations

import pytest
from benchmarks.schedule import Bound, RequestPlan, cheapest


def test_empty_plan_needs_no_round() -> None:
    assert RequestPlan().rounds(8) == 0


def test_independent_requests_spread_over_the_connections() -> None:
    plan = RequestPlan()
    for _ in range(17):
        plan.add()
    assert plan.requests == 17
    assert plan.rounds(8) == 3  # 8 + 8 + 1


def test_cursor_pages_are_sequential_whatever_the_concurrency() -> None:
    plan = RequestPlan()
    plan.cursor_pages(items=950, pagelen=100)
    assert plan.requests == 10
    assert plan.rounds(8) == 10
    assert plan.rounds(1) == 10


def test_list_pages_need_the_first_page_then_fan_out() -> None:
    plan = RequestPlan()
    plan.list_pages(items=1000, pagelen=50)
    assert plan.requests == 20
    assert plan.rounds(8) == 1 + 3  # page 1, then 19 pages over 8 connections


def test_an_empty_collection_still_costs_one_request() -> None:
    plan = RequestPlan()
    plan.list_pages(items=0, pagelen=50)
    plan.cursor_pages(items=0, pagelen=100)
    assert plan.requests == 2


def test_children_wait_for_the_page_that_named_them() -> None:
    plan = RequestPlan()
    repository_pages = plan.list_pages(items=150, pagelen=100)
    for index in range(150):
        plan.cursor_pages(items=250, pagelen=100, after=repository_pages[index // 100])
    assert plan.requests == 2 + 150 * 3
    # round 1 can only fetch repository page 1; the other 451 requests need ceil(451 / 8) = 57
    # more rounds, and the optimal schedule needs no more than that
    assert plan.rounds(8) == 58


def test_long_chains_are_started_first() -> None:
    # one chain of 6 plus 10 single requests on 2 connections: starting the chain first finishes
    # in 8 rounds ((6 + 10) / 2); starting it last would take 5 + 6 = 11
    plan = RequestPlan()
    plan.cursor_pages(items=6, pagelen=1)
    for _ in range(10):
        plan.add()
    assert plan.rounds(2) == 8


def test_a_request_can_only_wait_for_an_earlier_one() -> None:
    plan = RequestPlan(parents=[1, None])
    with pytest.raises(ValueError, match="earlier request"):
        plan.rounds(8)


def test_cheapest_takes_fewest_requests_and_fewest_rounds_independently() -> None:
    many_fast = Bound(requests=47, rounds=2, explanation="per pull request")
    few_slow = Bound(requests=17, rounds=17, explanation="activity stream")
    best = cheapest(many_fast, few_slow)
    assert (best.requests, best.rounds) == (17, 2)
    assert "activity stream" in best.explanation and "per pull request" in best.explanation
    assert Bound(0, 0, "").latency_s(100) == 0
    assert many_fast.latency_s(100) == pytest.approx(0.2)

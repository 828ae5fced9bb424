"""GET by id or a listing per scope, chosen by cost (``strategies.GetById.beats_listing``,
which replaced the planner's fixed rule): counted with the emulator's own request counts."""

from __future__ import annotations

from typing import Any

from engine_helpers import canonical

from bitbucket_sql.engine import Engine

PRS = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests"
ONE_PR = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}"
ONE_PIPELINE = "GET /2.0/repositories/{workspace}/{repo_slug}/pipelines/{pipeline_uuid}"


def counted(engine: Engine, emulator: Any, sql: str) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    emulator.reset_stats()
    result = engine.execute(sql)
    return result.rows, emulator.stats()["routes"]


def test_one_id_in_a_named_repository_is_one_get(engine: Engine, emulator: Any) -> None:
    rows, routes = counted(engine, emulator, "SELECT id FROM pull_requests WHERE repository = 'api' AND id = 2")
    assert routes == {ONE_PR: 1} and rows == [(2,)]


def test_several_ids_in_a_named_repository_are_one_filtered_listing(
    engine: Engine, reference: Engine, emulator: Any
) -> None:
    sql = "SELECT id, title FROM pull_requests WHERE repository = 'api' AND id IN (1, 2, 3)"
    rows, routes = counted(engine, emulator, sql)
    assert routes == {PRS: 1}  # was 3 GETs: one listing whose q holds id IN (1, 2, 3) costs 1
    assert canonical(rows) == canonical(reference.execute(sql).rows)
    plan = "\n".join(row[0] for row in engine.execute(f"EXPLAIN {sql}").rows)
    assert 'AND id IN (1, 2, 3)' in plan and "get by id" not in plan, plan


def test_ids_of_an_endpoint_without_bbql_stay_gets(engine: Engine, reference: Engine, emulator: Any) -> None:
    uuids = [row[0] for row in reference.execute(
        "SELECT uuid FROM pipelines WHERE repository = 'api' ORDER BY build_number LIMIT 2").rows]
    sql = f"SELECT uuid FROM pipelines WHERE repository = 'api' AND uuid IN ('{uuids[0]}', '{uuids[1]}')"
    rows, routes = counted(engine, emulator, sql)
    assert routes == {ONE_PIPELINE: 2}  # a listing could not filter: it would read every run
    assert sorted(rows) == sorted((uuid,) for uuid in uuids)

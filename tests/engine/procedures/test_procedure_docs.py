"""docs/procedures.md is generated from the catalog, and its SQL examples run as printed."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from bitbucket_sql.catalog.procedure_docs import default_output_path, render
from bitbucket_sql.catalog.procedures import all_procedures
from bitbucket_sql.engine import Engine

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "procedures.md"
_SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.MULTILINE | re.DOTALL)


def test_committed_procedures_md_is_up_to_date() -> None:
    assert default_output_path() == DOC
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/procedures.md is stale: run python -m bitbucket_sql.catalog.procedure_docs")


def test_every_procedure_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for procedure in all_procedures():
        assert f"### {procedure.name}" in text


def test_the_documented_sql_runs_in_order(engine: Engine, api: httpx.Client) -> None:
    blocks = [block.strip() for block in _SQL_BLOCK.findall(DOC.read_text(encoding="utf-8"))]
    assert len(blocks) >= 5

    results = [engine.execute(block) for block in blocks]

    assert all(result.rows for result in results[:-1] if result.columns)
    assert api.get("/repositories/acme/api/pullrequests/6").json()["state"] == "MERGED"
    assert api.get("/repositories/acme/api/pullrequests/4").json()["state"] == "DECLINED"
    participants = api.get("/repositories/acme/api/pullrequests/5").json()["participants"]
    assert any(p["approved"] for p in participants)
    assert [row[0] for row in results[-1].rows][:3] == ["workspace", "repository", "pull_request_id"]

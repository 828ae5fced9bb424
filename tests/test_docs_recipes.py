"""docs/recipes.md: every recipe runs as printed and answers what the same query answers without pushdown.

The recipes ask about "the last 30 days" and the like, so they run against an emulator whose
history ends today (the shared test emulator's ends on a fixed day); the ground truth is an
engine with pushdown off on the same emulator: every row fetched, everything decided by DuckDB.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _helpers_connect import connection_string_for
from bitbucket_sql.api.settings import parse_connection_string
from bitbucket_sql.emulator import run_emulator
from bitbucket_sql.engine import Engine

RECIPES = Path(__file__).resolve().parents[1] / "docs" / "recipes.md"
_RECIPE = re.compile(r"^## (?P<title>.+?)\n(?:(?!^## ).)*?^```sql\n(?P<sql>.*?)^```", re.MULTILINE | re.DOTALL)

#: What a team lead reads the page for: each of these questions has a recipe.
QUESTIONS = (
    "open pull requests by author and age", "merged per week", "time to merge", "review load",
    "unnesting participants", "failed pipelines on main", "deployment frequency", "stale branches",
    "repositories without branch restrictions", "admins per repository", "still use image",
    "runners that are offline", "security scan failed",
)  # fmt: skip


def recipes() -> list[tuple[str, str]]:
    return [(match["title"], match["sql"]) for match in _RECIPE.finditer(RECIPES.read_text(encoding="utf-8"))]


def _canonical(rows: list[tuple[Any, ...]]) -> list[tuple[str, ...]]:
    return sorted(tuple(repr(value) for value in row) for row in rows)


@pytest.fixture(scope="module")
def engines() -> Iterator[tuple[Engine, Engine]]:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    with run_emulator(scale="small", seed=1, anchor_date=today) as emulator:
        settings = parse_connection_string(connection_string_for(emulator))
        # without pushdown nothing narrows the scopes: reading every file of every ref for the
        # bitbucket-pipelines.yml recipe takes a few thousand requests, all on the local emulator
        unbounded = parse_connection_string(connection_string_for(emulator, MaxFanout="20000"))
        engine, truth = Engine(settings), Engine(unbounded, pushdown=False)
        try:
            yield engine, truth
        finally:
            engine.close()
            truth.close()


def test_the_page_has_a_recipe_for_each_question_and_the_readme_links_it() -> None:
    titles = " ".join(title.lower() for title, _ in recipes())
    assert [question for question in QUESTIONS if question not in titles] == []
    assert "(docs/recipes.md)" in (RECIPES.parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("title", "sql"), recipes(), ids=[title for title, _ in recipes()])
def test_recipe_runs_and_matches_the_answer_without_pushdown(
    title: str, sql: str, engines: tuple[Engine, Engine]
) -> None:
    engine, truth = engines
    result = engine.execute(sql)
    expected = truth.execute(sql)
    assert [column.name for column in result.columns] == [column.name for column in expected.columns]
    assert _canonical(result.rows) == _canonical(expected.rows)


def test_the_recipes_find_rows_in_the_demo_data(engines: tuple[Engine, Engine]) -> None:
    """Dated questions ("the last 90 days") find something: the demo's history ends today."""
    engine, _ = engines
    empty = [title for title, sql in recipes() if not engine.execute(sql).rows]
    assert len(empty) <= 2, f"recipes without rows on the demo data: {empty}"

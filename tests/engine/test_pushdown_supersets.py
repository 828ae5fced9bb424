"""Pushed filters whose API meaning differs from SQL's never change an answer.

An emulator loaded with rows the demo data lacks: the earliest pull request has no merge commit
(BBQL's ``!=`` matches it, SQL's does not), titles whose case folding differs between DuckDB
and the API (Turkish dotted I, Greek sigma, German sharp s), and a title full of quotes,
backslashes, tabs and trailing spaces. Every query runs with pushdown and without (the ground
truth); ORDER BY ... LIMIT queries must return exactly the same rows in the same order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from engine_helpers import canonical, settings_for

from bitbucket_sql.emulator import run_emulator
from bitbucket_sql.emulator.loader import load_document
from bitbucket_sql.engine import Engine

TRICKY_TITLE = 'tab\there "quoted" \\ back%_  '

DATA: dict[str, Any] = {
    "workspaces": [
        {
            "slug": "acme",
            "repositories": [
                {
                    "slug": "api",
                    "pull_requests": [  # created in this order, a few hours apart
                        {"title": "İstanbul release", "state": "OPEN"},  # the oldest: no merge commit
                        {"title": "Speed up CSV export", "state": "MERGED"},
                        {"title": "ΟΣΑ notes", "state": "MERGED"},
                        {"title": "Straße renamed", "state": "MERGED"},
                        {"title": "ISTANBUL mirror", "state": "DECLINED"},
                        {"title": TRICKY_TITLE, "state": "MERGED"},
                        {"title": "kiss ſ long s", "state": "OPEN"},
                        {"title": "ok", "state": "MERGED"},
                    ],
                },
                {
                    "slug": "web",
                    "pull_requests": [
                        {"title": "istanbul web", "state": "OPEN"},
                        {"title": "Web merge", "state": "MERGED"},
                    ],
                },
            ],
        }
    ]
}


@pytest.fixture(scope="module")
def engines() -> Iterator[tuple[Engine, Engine]]:
    with run_emulator(store=load_document(DATA)) as handle:
        pushed = Engine(settings_for(handle), pushdown=True)
        reference = Engine(settings_for(handle), pushdown=False)
        try:
            yield pushed, reference
        finally:
            pushed.close()
            reference.close()


def _same(engines: tuple[Engine, Engine], sql: str, *, ordered: bool) -> list[tuple[Any, ...]]:
    pushed, reference = engines
    got, truth = pushed.execute(sql).rows, reference.execute(sql).rows
    if ordered:
        assert got == truth, sql
    else:
        assert canonical(got) == canonical(truth), sql
    return truth


@pytest.mark.parametrize(
    "where",
    [
        "merge_commit_hash != 'zzz'",
        "merge_commit_hash <> 'zzz'",
        "merge_commit_hash NOT IN ('zzz', 'yyy')",
        "NOT (merge_commit_hash = 'zzz')",
        "NOT (merge_commit_hash IN ('zzz'))",
        "(merge_commit_hash != 'zzz' OR state = 'DECLINED')",
        "NOT (merge_commit_hash IS NULL AND state = 'OPEN') AND merge_commit_hash != 'zzz'",
    ],
)
def test_null_matching_filters_never_drive_top_n(engines: tuple[Engine, Engine], where: str) -> None:
    """BBQL's != also matches the PR without a merge commit; a pushed sort+limit would keep it and lose a row."""
    for direction in ("", " DESC"):
        truth = _same(
            engines,
            f"SELECT id, title FROM pull_requests WHERE repository = 'api' AND {where} "
            f"ORDER BY created_on{direction} LIMIT 3",
            ordered=True,
        )
        assert len(truth) == 3
    rows = engines[0].execute(f"SELECT id FROM pull_requests WHERE {where} LIMIT 3").rows
    assert len(rows) == 3  # LIMIT without ORDER BY: any 3 rows, but 3 of them


@pytest.mark.parametrize(
    "where",
    [
        "title ILIKE '%istanbul%'",  # 'İstanbul release': DuckDB folds İ to i
        "title ILIKE '%ISTANBUL%'",
        "title ILIKE 'i%'",
        "title LIKE '%ΟΣ%'",  # final sigma: 'ΟΣ' lower-cases to 'ος' alone but 'οσ' inside 'ΟΣΑ'
        "title ILIKE '%οσα%'",
        "title ILIKE '%straße%'",
        "title ILIKE '%STRASSE%'",
        "title ILIKE '%ſ%'",
        "title ILIKE '%kiss%'",
        "title LIKE 'tab\there \"quoted\" \\ back%'",
        "title ILIKE '%csv ex%'",
        "title LIKE '%\\%%'",
    ],
)
def test_like_with_case_folding_differences(engines: tuple[Engine, Engine], where: str) -> None:
    _same(engines, f"SELECT id, repository, title FROM pull_requests WHERE {where}", ordered=False)
    _same(engines, f"SELECT id, title FROM pull_requests WHERE {where} ORDER BY created_on LIMIT 1", ordered=True)


def test_istanbul_is_found(engines: tuple[Engine, Engine]) -> None:
    titles = {row[0] for row in engines[0].execute("SELECT title FROM pull_requests WHERE title ILIKE '%istanbul%'").rows}
    assert titles == {"İstanbul release", "ISTANBUL mirror", "istanbul web"}


@pytest.mark.parametrize(
    "where",
    [
        "title < 'm'",
        "title >= 'S'",
        "title BETWEEN 'I' AND 'o'",
        "'m' > title",
    ],
)
def test_text_ranges_are_evaluated_locally(engines: tuple[Engine, Engine], where: str) -> None:
    _same(engines, f"SELECT id, title FROM pull_requests WHERE {where} ORDER BY created_on LIMIT 2", ordered=True)
    plan = "\n".join(row[0] for row in engines[0].execute(
        f"EXPLAIN SELECT id FROM pull_requests WHERE repository = 'api' AND {where} ORDER BY created_on LIMIT 2"
    ).rows)
    assert "q:" not in plan and "sort:" not in plan


@pytest.mark.parametrize(
    "where",
    [
        "comment_count < 1e-05",
        "comment_count > -0.0000001",
        "comment_count < 1e30",
        "comment_count < 123456789012345678901234567",
        "comment_count > -1e-300",
        "comment_count != 0.5",
        "created_on > TIMESTAMP '2020-01-01 00:00:00.000001'",
    ],
)
def test_numbers_of_any_size_are_accepted(engines: tuple[Engine, Engine], where: str) -> None:
    """A tiny decimal used to be sent as 1e-05, which BBQL answers with 400."""
    truth = _same(engines, f"SELECT id FROM pull_requests WHERE {where}", ordered=False)
    assert truth


def test_tricky_strings_compare_exactly(engines: tuple[Engine, Engine]) -> None:
    literal = TRICKY_TITLE.replace("'", "''")
    rows = _same(engines, f"SELECT id, title FROM pull_requests WHERE title = '{literal}'", ordered=False)
    assert [row[1] for row in rows] == [TRICKY_TITLE]
    _same(engines, f"SELECT id FROM pull_requests WHERE title IN ('{literal}', 'ok', 'İstanbul release')", ordered=False)
    _same(engines, f"SELECT id FROM pull_requests WHERE title = '{literal.rstrip()}'", ordered=False)


def test_or_with_and_branches(engines: tuple[Engine, Engine]) -> None:
    _same(
        engines,
        "SELECT id FROM pull_requests WHERE state = 'OPEN' OR comment_count >= 0 AND state = 'DECLINED' "
        "ORDER BY created_on LIMIT 3",
        ordered=True,
    )


def test_inequality_on_a_column_that_is_never_null_keeps_the_pushed_top_n(engines: tuple[Engine, Engine]) -> None:
    """``state`` is always present, so the catalog declares ``!=`` exact there: sort + limit stay pushed."""
    sql = "SELECT id, state FROM pull_requests WHERE repository = 'api' AND state != 'OPEN' ORDER BY created_on LIMIT 3"
    assert len(_same(engines, sql, ordered=True)) == 3
    plan = "\n".join(row[0] for row in engines[0].execute("EXPLAIN " + sql).rows)
    assert 'q: state != "OPEN"' in plan and "sort: created_on   limit per scope: 3" in plan

"""docs/writing.md runs as printed: its ```sql blocks, in order, on a fresh emulator (one session),
and its table of writable tables says what the catalog says."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from bitbucket_sql.catalog.registry import all_tables
from bitbucket_sql.engine import Engine

DOC = Path(__file__).resolve().parents[3] / "docs" / "writing.md"
_SQL = re.compile(r"^```sql\n(.*?)^```", re.MULTILINE | re.DOTALL)


def test_the_documented_statements_run_in_order(engine: Engine, write_count: Callable[[], int]) -> None:
    statements = _SQL.findall(DOC.read_text(encoding="utf-8"))
    assert len(statements) >= 5
    for sql in statements:
        before = write_count()
        result = engine.execute(sql)
        if sql.lstrip().upper().startswith("EXPLAIN"):
            assert write_count() == before and any("none sent" in row[0] for row in result.rows)
        else:
            assert result.affected_rows, sql  # each documented write changes at least one row


def test_the_table_of_writable_tables_matches_the_catalog() -> None:
    text = DOC.read_text(encoding="utf-8")
    for table in all_tables():
        if not table.operations:
            continue
        row = next((line for line in text.splitlines() if line.startswith(f"| [`{table.name}`]")), None)
        assert row is not None, f"docs/writing.md does not list {table.name}"
        cells = [cell.strip() for cell in row.split("|")[2:5]]
        for kind, cell in zip(("insert", "update", "delete"), cells, strict=True):
            op = table.write_op(kind)
            assert cell == (f"`{op.method}`" if op else "—"), (table.name, kind, cell)

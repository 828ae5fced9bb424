"""Print what `fivetran debug` wrote to files/warehouse.db, as JSON, for tests/integrations/test_fivetran.py.

Run by the connector's own virtualenv (the SDK's DuckDB 1.5.6 writes the file; the project's
DuckDB 2 is another release), as ``python fivetran_warehouse_dump.py WAREHOUSE.db SCHEMA NAMES.json``.
Prints ``{"tables": {table: {"columns": {name: duckdb type}, "rows": [[...], ...], "deleted": N}},
"renamed": {column: destination name}}``: the rows not marked deleted (``_fivetran_deleted``),
every value but booleans and numbers as DuckDB's text (timestamps in UTC), Fivetran's own
``_fivetran_*`` columns left out; and, for the column names listed in NAMES.json, the names
Fivetran's default naming gives them (``has_2fa_enabled`` becomes ``has_2_fa_enabled``).
"""

from __future__ import annotations

import json
import sys

import duckdb
from fivetran_connector_sdk_core.renaming import redshift_safe


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def dump(path: str, schema: str) -> dict[str, object]:
    connection = duckdb.connect(path, read_only=True)
    connection.execute("SET TimeZone = 'UTC'")
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1", [schema]
        ).fetchall()
    ]
    result: dict[str, object] = {}
    for table in tables:
        described = connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
        columns = {name: kind for name, kind in described if not name.startswith("_fivetran")}
        selected = ", ".join(
            _quote(name)
            if kind in ("BOOLEAN", "BIGINT", "INTEGER", "SMALLINT")
            else f"CAST({_quote(name)} AS VARCHAR)"
            for name, kind in columns.items()
        )
        qualified = f"{_quote(schema)}.{_quote(table)}"
        has_deleted = any(name == "_fivetran_deleted" for name, _ in described)
        alive = "WHERE _fivetran_deleted IS NOT TRUE" if has_deleted else ""
        rows = connection.execute(f"SELECT {selected} FROM {qualified} {alive}").fetchall() if columns else []
        deleted = (
            connection.execute(f"SELECT count(*) FROM {qualified} WHERE _fivetran_deleted").fetchone()[0]
            if has_deleted
            else 0
        )
        result[table] = {"columns": columns, "rows": [list(row) for row in rows], "deleted": deleted}
    connection.close()
    return result


if __name__ == "__main__":
    with open(sys.argv[3], encoding="utf-8") as names_file:
        names = json.load(names_file)
    renamed = {name: redshift_safe(name) for name in names}
    json.dump({"tables": dump(sys.argv[1], sys.argv[2]), "renamed": renamed}, sys.stdout)

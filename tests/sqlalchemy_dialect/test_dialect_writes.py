"""Writes and DDL: refused before anything is sent, with a message saying why."""

from __future__ import annotations

from typing import Any

import pytest
from dialect_helpers import require_module

sqlalchemy = require_module("sqlalchemy", "sqlalchemy")


@pytest.fixture
def pull_requests(engine: Any) -> Any:
    return sqlalchemy.Table("pull_requests", sqlalchemy.MetaData(), autoload_with=engine)


def test_insert_update_delete_are_refused_at_compile_time(
    engine: Any, emulator: Any, pull_requests: Any
) -> None:
    statements = {
        "INSERT": sqlalchemy.insert(pull_requests).values(title="x"),
        "UPDATE": sqlalchemy.update(pull_requests).where(pull_requests.c.id == 1).values(title="x"),
        "DELETE": sqlalchemy.delete(pull_requests).where(pull_requests.c.id == 1),
    }
    emulator.reset_stats()
    for kind, statement in statements.items():
        with pytest.raises(sqlalchemy.exc.CompileError, match=f"read-only.*{kind} cannot be run"):
            statement.compile(engine)
        with engine.connect() as connection, pytest.raises(sqlalchemy.exc.CompileError, match="read-only"):
            connection.execute(statement)
    assert emulator.stats()["total"] == 0


def test_orm_flush_is_refused(engine: Any, emulator: Any) -> None:
    from sqlalchemy.ext.automap import automap_base
    from sqlalchemy.orm import Session

    base = automap_base()
    base.prepare(autoload_with=engine, reflection_options={"only": ["projects"]})
    emulator.reset_stats()
    with Session(engine) as session:
        session.add(base.classes.projects(workspace="acme", key="NEW", name="New"))
        with pytest.raises(sqlalchemy.exc.CompileError, match="read-only.*INSERT"):
            session.flush()
    assert emulator.stats()["total"] == 0


def test_ddl_is_refused(engine: Any) -> None:
    metadata = sqlalchemy.MetaData()
    sqlalchemy.Table("scratch", metadata, sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True))
    with pytest.raises(sqlalchemy.exc.CompileError, match="read-only.*CREATE TABLE scratch"):
        metadata.create_all(engine)


def test_textual_writes_get_the_engines_error(engine: Any) -> None:
    with engine.connect() as connection, pytest.raises(sqlalchemy.exc.DBAPIError, match="not supported"):
        connection.exec_driver_sql("DELETE FROM pull_requests WHERE id = 1")

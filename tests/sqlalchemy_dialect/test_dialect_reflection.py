"""Reflection answered from the catalog: every table, with zero API requests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from dialect_helpers import require_module

sqlalchemy = require_module("sqlalchemy", "sqlalchemy")

from bitbucket_sql.api import accounting  # noqa: E402 - after the import check
from bitbucket_sql.catalog.registry import all_tables  # noqa: E402

AVAILABLE = [table for table in all_tables() if table.removed is None]
REMOVED = [table for table in all_tables() if table.removed is not None]

EXPECTED_TYPES = {
    "VARCHAR": sqlalchemy.String,
    "BIGINT": sqlalchemy.BigInteger,
    "DOUBLE": sqlalchemy.Double,
    "BOOLEAN": sqlalchemy.Boolean,
    "TIMESTAMPTZ": sqlalchemy.DateTime,
    "DATE": sqlalchemy.Date,
    "JSON": sqlalchemy.JSON,
}


@contextmanager
def no_requests(emulator: Any) -> Iterator[None]:
    """Asserts that the block sent nothing: by the client's accounting and by the emulator's count."""
    emulator.reset_stats()
    with accounting.recording() as recording:
        yield
    assert recording.requests == 0, recording.records
    assert emulator.stats()["total"] == 0


def test_every_table_reflects_with_catalog_columns_types_keys_and_comments(
    engine: Any, emulator: Any
) -> None:
    with no_requests(emulator):
        inspector = sqlalchemy.inspect(engine)
        assert inspector.get_table_names() == [table.name for table in AVAILABLE]
        for table in AVAILABLE:
            columns = inspector.get_columns(table.name)
            assert [column["name"] for column in columns] == list(table.column_names), table.name
            for reflected, defined in zip(columns, table.columns, strict=True):
                assert isinstance(reflected["type"], EXPECTED_TYPES[defined.type]), (table.name, defined.name)
                assert reflected["comment"] == (defined.description or None)
                assert reflected["nullable"] is (defined.name not in table.primary_key)
            assert inspector.get_pk_constraint(table.name)["constrained_columns"] == list(table.primary_key)
            assert inspector.get_table_comment(table.name)["text"] == table.description
            assert inspector.get_indexes(table.name) == []
    created_on = {c["name"]: c["type"] for c in inspector.get_columns("pull_requests")}["created_on"]
    assert created_on.timezone is True


def test_parent_child_relations_are_foreign_keys_onto_the_parents_primary_key(
    engine: Any, emulator: Any
) -> None:
    by_name = {table.name: table for table in AVAILABLE}
    with no_requests(emulator):
        inspector = sqlalchemy.inspect(engine)
        comments = inspector.get_foreign_keys("pull_request_comments")
        for table in AVAILABLE:
            foreign = {fk["referred_table"]: fk for fk in inspector.get_foreign_keys(table.name)}
            # a parent whose primary key the child cannot hold (files has no refs.ref_type) has no key onto it
            parents = [
                key.source_table for key in table.keys if key.source_table in by_name and all(
                    column == key.source_column or table.column(column) is not None
                    for column in by_name[key.source_table].primary_key
                )
            ]
            assert list(foreign) == parents[-1:], table.name  # the nearest parent implies the others
            for parent, fk in foreign.items():
                assert fk["referred_columns"] == list(by_name[parent].primary_key)
                assert set(fk["constrained_columns"]) <= set(table.column_names)
    assert [(fk["referred_table"], fk["constrained_columns"], fk["referred_columns"]) for fk in comments] == [
        ("pull_requests", ["workspace", "repository", "pull_request_id"], ["workspace", "repository", "id"])
    ]


def test_schemas_are_the_known_workspaces(engine: Any, emulator: Any) -> None:
    with no_requests(emulator):
        inspector = sqlalchemy.inspect(engine)
        assert inspector.get_schema_names() == ["acme"]
        assert inspector.default_schema_name == "acme"
        assert inspector.get_view_names() == []
        fk = inspector.get_foreign_keys("commits", schema="acme")
    assert fk[0]["referred_schema"] == "acme"


def test_removed_tables_are_not_reflected(engine: Any, emulator: Any) -> None:
    assert REMOVED, "the catalog keeps the issue tracker's tables to explain that they are gone"
    with no_requests(emulator):
        inspector = sqlalchemy.inspect(engine)
        for table in REMOVED:
            assert not inspector.has_table(table.name)
            with pytest.raises(sqlalchemy.exc.NoSuchTableError):
                inspector.get_columns(table.name)
        assert inspector.has_table("pull_requests")
        assert not inspector.has_table("pull_request")


def test_metadata_reflect_and_automap_build_every_table_and_relationship(engine: Any, emulator: Any) -> None:
    import warnings

    from sqlalchemy.ext.automap import automap_base

    with no_requests(emulator), warnings.catch_warnings():
        warnings.simplefilter("error")  # overlapping relationships would warn
        metadata = sqlalchemy.MetaData()
        metadata.reflect(engine)
        base = automap_base(metadata=metadata)
        base.prepare()
        sqlalchemy.orm.configure_mappers()
    assert set(metadata.tables) == {table.name for table in AVAILABLE}
    pull_requests = metadata.tables["pull_requests"]
    assert [c.name for c in pull_requests.primary_key] == ["workspace", "repository", "id"]
    # automap maps every table with a primary key, with relationships from the foreign keys
    mapped = set(base.classes.keys())
    assert mapped == {table.name for table in AVAILABLE if table.primary_key}
    relationships = sqlalchemy.inspect(base.classes.pull_requests).relationships
    assert {"repositories", "pull_request_comments_collection"} <= set(relationships.keys())
    assert "pull_requests" in sqlalchemy.inspect(base.classes.pull_request_comments).relationships

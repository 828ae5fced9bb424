"""What the query generator knows about the tables it queries: columns, kinds, keys, values.

Column kinds come from the catalog's SQL types and nullability and value pools from the ground
truth itself (every row fetched without pushdown), so literals are real stored values or
fragments of them and predicates match something.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bitbucket_sql.catalog import registry
from bitbucket_sql.engine import Engine

KINDS = {"VARCHAR": "text", "BIGINT": "int", "BOOLEAN": "bool", "TIMESTAMPTZ": "ts"}


@dataclass(frozen=True)
class TableSpec:
    """A table the generator queries: the columns it uses and the columns that identify a row."""

    name: str
    alias: str
    columns: tuple[str, ...]
    unique: tuple[str, ...]
    repository_scoped: bool = True


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "pull_requests",
        "p",
        (
            "repository", "id", "title", "description", "state", "draft", "author_display_name",
            "author_uuid", "source_branch_name", "destination_branch_name", "merge_commit_hash",
            "closed_by_display_name", "reason", "comment_count", "task_count", "created_on", "updated_on",
        ),
        ("repository", "id"),
    ),
    TableSpec(
        "repositories",
        "r",
        (
            "slug", "name", "full_name", "description", "language", "is_private", "project_key",
            "project_name", "mainbranch_name", "parent_full_name", "created_on", "updated_on", "uuid",
        ),
        ("slug",),
        repository_scoped=False,
    ),
    TableSpec(
        "branches",
        "b",
        ("repository", "name", "target_hash", "target_message", "target_author_raw",
         "target_author_user_display_name", "target_date"),
        ("repository", "name"),
    ),
    TableSpec("tags", "t", ("repository", "name", "message", "date", "target_hash"), ("repository", "name")),
    TableSpec(
        "commits",
        "c",
        ("repository", "hash", "message", "date", "author_raw", "author_user_display_name"),
        ("repository", "hash"),
    ),
    TableSpec(
        "pipelines",
        "pl",
        ("repository", "build_number", "target_ref_name", "creator_uuid", "creator_display_name",
         "state_name", "state_result_name", "trigger_name", "created_on", "completed_on", "build_seconds_used"),
        ("repository", "build_number"),
    ),
    TableSpec(
        "deployments",
        "d",
        ("repository", "uuid", "release_name", "environment_uuid", "state_status_name", "state_started_on",
         "release_commit_hash"),
        ("uuid",),
    ),
    TableSpec(
        "pull_request_comments",
        "pc",
        ("repository", "pull_request_id", "id", "content_raw", "user_display_name", "created_on", "parent_id",
         "inline_path"),
        ("repository", "pull_request_id", "id"),
    ),
    TableSpec(
        "projects",
        "pj",
        ("key", "name", "description", "is_private", "created_on"),
        ("key",),
        repository_scoped=False,
    ),
)

SPECS = {spec.name: spec for spec in TABLES}


@dataclass
class ColumnInfo:
    """One column as the generator sees it."""

    name: str
    kind: str  # text | int | bool | ts
    nullable: bool
    values: list[Any] = field(default_factory=list)  # distinct non-null values, sorted by repr


@dataclass
class Catalog:
    """Columns with kinds and value pools per table, plus facts about the data (repositories)."""

    columns: dict[str, dict[str, ColumnInfo]]
    all_columns: dict[str, tuple[str, ...]]  # every catalog column of the table (whole-row refs)
    repositories: list[str]
    repository_uuids: dict[str, str]
    row_counts: dict[str, int]
    pull_request_ids: dict[str, set[int]]  # repository slug -> ids of its pull requests


def build_catalog(truth: Engine) -> Catalog:
    """Read every row of every table once (without pushdown) to learn kinds, nulls and values."""
    columns: dict[str, dict[str, ColumnInfo]] = {}
    all_columns: dict[str, tuple[str, ...]] = {}
    row_counts: dict[str, int] = {}
    for spec in TABLES:
        table = registry.get_table(spec.name)
        assert table is not None, spec.name
        types = {column.name: column.type for column in table.columns}
        all_columns[spec.name] = tuple(column.name for column in table.columns)
        result = truth.execute(f"SELECT {', '.join(spec.columns)} FROM {spec.name}")
        row_counts[spec.name] = len(result.rows)
        infos: dict[str, ColumnInfo] = {}
        for index, name in enumerate(spec.columns):
            kind = KINDS[types[name]]
            values = [row[index] for row in result.rows]
            distinct = sorted({value for value in values if value is not None}, key=repr)
            infos[name] = ColumnInfo(name, kind, any(value is None for value in values), distinct)
        columns[spec.name] = infos
    repos = truth.execute("SELECT slug, uuid FROM repositories ORDER BY slug").rows
    pull_request_ids: dict[str, set[int]] = {}
    for slug, number in truth.execute("SELECT repository, id FROM pull_requests").rows:
        pull_request_ids.setdefault(slug, set()).add(number)
    return Catalog(
        columns=columns,
        all_columns=all_columns,
        repositories=[slug for slug, _ in repos],
        repository_uuids={slug: uuid for slug, uuid in repos},
        row_counts=row_counts,
        pull_request_ids=pull_request_ids,
    )

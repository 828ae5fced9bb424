"""The registry finds every table module and answers lookups the way the engine uses them."""

from __future__ import annotations

import pkgutil

import pytest

from bitbucket_sql.catalog import tables as tables_package
from bitbucket_sql.catalog.model import TableDef
from bitbucket_sql.catalog.registry import (
    UnknownColumnError,
    UnknownTableError,
    all_tables,
    closest_tables,
    get_table,
    require_column,
    require_table,
    table_names,
)

#: The tables the catalog must offer (late-2026 API plus the removed issue tracker).
REQUIRED_TABLES = {
    "workspaces", "workspace_members", "workspace_permissions", "projects", "project_user_permissions",
    "project_group_permissions", "project_default_reviewers", "repositories", "repository_permissions",
    "workspace_webhooks", "workspace_pipeline_variables", "current_user", "branches", "tags", "commits",
    "commit_statuses", "commit_diffstat", "pull_requests", "pull_request_comments", "pull_request_activity",
    "pull_request_commits", "pull_request_tasks", "pull_request_statuses", "pull_request_diffstat",
    "pipelines", "pipeline_steps", "pipeline_variables", "pipeline_schedules", "deployments", "environments",
    "branch_restrictions", "default_reviewers", "branching_model", "repository_webhooks", "downloads", "forks",
    "watchers", "deploy_keys", "repository_user_permissions", "repository_group_permissions", "issues",
    "issue_comments", "components", "milestones", "versions",
}  # fmt: skip


def test_every_required_table_is_registered() -> None:
    assert set(table_names()) >= REQUIRED_TABLES


def test_every_table_module_is_discovered_once_under_its_own_name() -> None:
    modules = {m.name for m in pkgutil.iter_modules(tables_package.__path__) if not m.name.startswith("_")}
    tables = all_tables()
    assert {t.name for t in tables} == modules
    assert all(isinstance(t, TableDef) for t in tables)


def test_all_tables_are_sorted_by_name() -> None:
    names = [t.name for t in all_tables()]
    assert names == sorted(names)


def test_get_table_is_case_insensitive_and_returns_none_for_unknown_names() -> None:
    assert get_table("Pull_Requests") is get_table("pull_requests")
    assert get_table("pull_requests").name == "pull_requests"
    assert get_table("no_such_table") is None


def test_closest_tables_suggests_the_intended_table() -> None:
    assert closest_tables("pullrequests")[0] == "pull_requests"
    assert "repositories" in closest_tables("repository")
    assert closest_tables("zzzzzz") == []
    assert len(closest_tables("pull_request", n=2)) <= 2


def test_removed_tables_explain_themselves() -> None:
    removed = {t.name for t in all_tables() if t.removed}
    assert removed == {"issues", "issue_comments", "components", "milestones", "versions"}
    for name in removed:
        message = get_table(name).removed
        assert "2026-08-20" in message and "Jira" in message


def test_require_table_names_the_unknown_table_and_suggests_close_ones() -> None:
    assert require_table("REPOSITORIES").name == "repositories"
    with pytest.raises(UnknownTableError) as caught:
        require_table("pullrequest")
    message = str(caught.value)
    assert "'pullrequest'" in message and "pull_requests" in message
    assert caught.value.suggestions[0] == "pull_requests"


def test_require_column_names_table_and_column_and_suggests_close_ones() -> None:
    table = require_table("pull_requests")
    assert require_column(table, "Created_On").name == "created_on"
    with pytest.raises(UnknownColumnError) as caught:
        require_column(table, "author_name")
    message = str(caught.value)
    assert "'pull_requests'" in message and "'author_name'" in message
    assert "author_display_name" in caught.value.suggestions

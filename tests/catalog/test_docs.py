"""docs/tables.md is generated from the catalog and must not go stale."""

from __future__ import annotations

from pathlib import Path

from bitbucket_sql.catalog.docs import (
    default_output_path,
    main,
    render_table_markdown,
    render_tables_markdown,
)
from bitbucket_sql.catalog.registry import all_tables, get_table

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_committed_tables_md_is_up_to_date() -> None:
    committed = (REPO_ROOT / "docs" / "tables.md").read_text(encoding="utf-8")
    assert committed == render_tables_markdown(), (
        "docs/tables.md is stale: run python -m bitbucket_sql.catalog.docs"
    )


def test_default_output_is_the_checkout_docs_folder() -> None:
    assert default_output_path() == REPO_ROOT / "docs" / "tables.md"


def test_every_table_and_column_is_documented() -> None:
    text = render_tables_markdown()
    for table in all_tables():
        assert f"\n## {table.name}\n" in text
        section = render_table_markdown(table)
        for column in table.columns:
            assert f"| `{column.name}` | {column.type} |" in section


def test_sections_show_pushdown_keys_and_removal() -> None:
    pull_requests = render_table_markdown(get_table("pull_requests"))
    assert (
        "| `repository` | VARCHAR |" in pull_requests
        and "key `{repo_slug}` (from repositories.slug)" in pull_requests
    )
    assert "Primary key: `workspace`, `repository`, `id`" in pull_requests
    assert "up to 50 per page" in pull_requests
    assert "get; q: compare (superset: !=, NOT IN); sort" in pull_requests  # the id column
    pipelines = render_table_markdown(get_table("pipelines"))
    assert "param `target.ref_name`: =" in pipelines
    issues = render_table_markdown(get_table("issues"))
    assert "> **Removed.**" in issues and "Jira" in issues


def test_check_mode_reports_a_stale_file_and_write_mode_fixes_it(tmp_path: Path, capsys) -> None:
    output = tmp_path / "tables.md"
    assert main(["--check", "--output", str(output)]) == 1  # missing
    output.write_text("# outdated\n", encoding="utf-8")
    assert main(["--check", "--output", str(output)]) == 1
    assert "stale" in capsys.readouterr().err
    assert main(["--output", str(output)]) == 0
    assert main(["--check", "--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == render_tables_markdown()

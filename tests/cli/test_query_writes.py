"""``bbsql query`` runs writes: it prints the rows changed (and RETURNING rows)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from cli_helpers import invoke

from _helpers_connect import DEMO_TOKEN, DEMO_USER, connection_string_for
from bitbucket_sql.emulator import EmulatorHandle, run_emulator


@pytest.fixture
def writable() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


def test_update_prints_rows_updated_and_returning_rows(writable: EmulatorHandle) -> None:
    connection = connection_string_for(writable)
    result = invoke("query", "-c", connection,
                    "UPDATE pull_requests SET title = 'Renamed from the CLI' WHERE repository = 'api' AND id = 6")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "1 row updated"
    with httpx.Client(base_url=writable.base_url, auth=(DEMO_USER, DEMO_TOKEN)) as api:
        assert api.get("/repositories/acme/api/pullrequests/6").json()["title"] == "Renamed from the CLI"
    returned = invoke("query", "-c", connection, "-f", "csv",
                      "UPDATE pull_requests SET draft = TRUE WHERE repository = 'api' AND id = 6 RETURNING id, draft")
    assert returned.exit_code == 0, returned.output
    assert returned.stdout.splitlines() == ["id,draft", "6,true"]
    assert "1 row updated" in returned.stderr


def test_a_refused_write_is_one_paragraph(writable: EmulatorHandle) -> None:
    result = invoke("query", "-c", connection_string_for(writable, ReadOnly="true"),
                    "DELETE FROM branches WHERE repository = 'api' AND name = 'main'")
    assert result.exit_code == 1 and "ReadOnly=true" in result.stderr and "Traceback" not in result.stderr

"""Writes through SQLAlchemy: Core and ORM INSERT/UPDATE/DELETE compile to SQL the engine runs
(the same requests as the DB-API's hand-written statement), the ORM reads back what Bitbucket set,
`DataFrame.to_sql(if_exists="append")` creates rows, and DDL is refused before anything is sent.

Each write test gets a fresh emulator (writes change it) and checks its state over raw HTTP."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from dialect_helpers import emulator_url, require_module

from _helpers_connect import DEMO_TOKEN, DEMO_USER, connection_string_for
from bitbucket_sql.emulator import EmulatorHandle, run_emulator

sqlalchemy = require_module("sqlalchemy", "sqlalchemy")


@pytest.fixture
def fresh() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


@pytest.fixture
def fresh_engine(fresh: EmulatorHandle) -> Iterator[Any]:
    created = sqlalchemy.create_engine(emulator_url(fresh))
    yield created
    created.dispose()


@pytest.fixture
def api(fresh: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fresh.base_url, auth=(DEMO_USER, DEMO_TOKEN), timeout=30) as client:
        yield client


def open_pull_request(emulator: EmulatorHandle, repository: str = "api") -> int:
    with emulator.store.lock:
        pulls = emulator.store.repo_data("acme", repository).pullrequests
        return min(number for number, pull in pulls.items() if pull["state"] == "OPEN")


def comments_of(api: httpx.Client, repository: str, number: int) -> dict[int, dict[str, Any]]:
    """The pull request's comments as the API holds them, deleted ones left out."""
    found: dict[int, dict[str, Any]] = {}
    url: str | None = f"/repositories/acme/{repository}/pullrequests/{number}/comments?pagelen=100"
    while url:
        page = api.get(url).json()
        found.update({c["id"]: c for c in page["values"] if not c.get("deleted")})
        url = page.get("next")
    return found


def test_core_insert_update_delete_round_trip(fresh: EmulatorHandle, fresh_engine: Any, api: httpx.Client) -> None:
    comments = sqlalchemy.Table("pull_request_comments", sqlalchemy.MetaData(), autoload_with=fresh_engine)
    number = open_pull_request(fresh)
    where = (comments.c.repository == "api", comments.c.pull_request_id == number)
    with fresh_engine.connect() as connection:
        inserted = connection.execute(
            sqlalchemy.insert(comments).values(repository="api", pull_request_id=number, content_raw="From Core")
            .returning(comments.c.id, comments.c.content_raw, comments.c.created_on))
        comment_id, content, created_on = inserted.one()
        assert content == "From Core" and created_on.tzinfo is not None
        assert comments_of(api, "api", number)[comment_id]["content"]["raw"] == "From Core"
        updated = connection.execute(sqlalchemy.update(comments).where(*where, comments.c.id == comment_id)
                                     .values(content_raw="Edited by Core"))
        assert updated.rowcount == 1
        assert comments_of(api, "api", number)[comment_id]["content"]["raw"] == "Edited by Core"
        read = connection.execute(sqlalchemy.select(comments.c.content_raw).where(*where, comments.c.id == comment_id))
        assert read.scalar_one() == "Edited by Core"  # read-your-writes through the same connection
        deleted = connection.execute(sqlalchemy.delete(comments).where(*where, comments.c.id == comment_id))
        assert deleted.rowcount == 1
        connection.commit()
    assert comment_id not in comments_of(api, "api", number)


def test_core_update_sends_what_the_dbapi_sends() -> None:
    """The compiled UPDATE and the hand-written one make the same requests (reads and the PUT)."""
    import bitbucket_sql

    answers = []
    for through in ("sqlalchemy", "dbapi"):
        with run_emulator(scale="tiny", seed=1) as emulator:
            number = open_pull_request(emulator)
            emulator.reset_stats()
            if through == "sqlalchemy":
                engine = sqlalchemy.create_engine(emulator_url(emulator))
                table = sqlalchemy.Table("pull_requests", sqlalchemy.MetaData(), autoload_with=engine)
                with engine.begin() as connection:
                    count = connection.execute(
                        sqlalchemy.update(table).where(table.c.repository == "api", table.c.id == number)
                        .values(title="Same requests")).rowcount
                engine.dispose()
            else:
                with bitbucket_sql.connect(connection_string_for(emulator)) as connection:
                    cursor = connection.cursor()
                    cursor.execute("UPDATE pull_requests SET title = ? WHERE repository = ? AND id = ?",
                                   ["Same requests", "api", number])
                    count = cursor.rowcount
            answers.append((count, emulator.stats()["routes"]))
    assert answers[0] == answers[1]
    assert answers[0][0] == 1 and answers[0][1]["PUT /2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}"] == 1


def test_executemany_and_multi_row_values_count_rows(
    fresh: EmulatorHandle, fresh_engine: Any, api: httpx.Client
) -> None:
    comments = sqlalchemy.Table("pull_request_comments", sqlalchemy.MetaData(), autoload_with=fresh_engine)
    number = open_pull_request(fresh, "web")
    before = len(comments_of(api, "web", number))
    with fresh_engine.begin() as connection:
        many = connection.execute(sqlalchemy.insert(comments), [
            {"repository": "web", "pull_request_id": number, "content_raw": f"batch {i}"} for i in range(3)])
        multi = connection.execute(sqlalchemy.insert(comments).values([
            {"repository": "web", "pull_request_id": number, "content_raw": f"values {i}"} for i in range(2)]))
    assert (many.rowcount, multi.rowcount) == (3, 2)
    texts = sorted(c["content"]["raw"] for c in comments_of(api, "web", number).values())
    assert len(texts) == before + 5 and {"batch 0", "batch 2", "values 1"} <= set(texts)


def test_orm_add_change_delete_reads_back_what_bitbucket_set(
    fresh: EmulatorHandle, fresh_engine: Any, api: httpx.Client
) -> None:
    from sqlalchemy.ext.automap import automap_base
    from sqlalchemy.orm import Session

    base = automap_base()
    base.prepare(autoload_with=fresh_engine, reflection_options={"only": ["pull_request_comments", "projects"]})
    comment_class, project_class = base.classes.pull_request_comments, base.classes.projects
    number = open_pull_request(fresh, "infra")
    with Session(fresh_engine) as session:
        comment = comment_class(repository="infra", pull_request_id=number, content_raw="From the ORM")
        project = project_class(key="ORM", name="Made by the ORM", description="flushed")
        session.add_all([comment, project])
        session.commit()
        # the ids and timestamps Bitbucket set came back (RETURNING), the workspace is the connection's
        assert comment.workspace == "acme" and isinstance(comment.id, int) and comment.created_on is not None
        assert project.uuid and project.workspace == "acme"
        comment_id = comment.id
        assert comments_of(api, "infra", number)[comment_id]["content"]["raw"] == "From the ORM"
        comment.content_raw = "Changed by the ORM"
        session.commit()
        assert comments_of(api, "infra", number)[comment_id]["content"]["raw"] == "Changed by the ORM"
        assert api.get("/workspaces/acme/projects/ORM").json()["name"] == "Made by the ORM"
        session.delete(comment)
        session.delete(project)
        session.commit()
    assert comment_id not in comments_of(api, "infra", number)
    assert api.get("/workspaces/acme/projects/ORM").status_code == 404


@pytest.mark.parametrize("table", ["pull_request_comments", "branches"])
def test_to_sql_appends_rows(fresh: EmulatorHandle, fresh_engine: Any, api: httpx.Client, table: str) -> None:
    pandas = require_module("pandas", "pandas")
    if table == "branches":
        head = api.get("/repositories/acme/data-pipeline/refs/branches/main").json()["target"]["hash"]
        frame = pandas.DataFrame({"repository": ["data-pipeline"] * 2, "name": ["df/one", "df/two"],
                                  "target_hash": [head, head]})
    else:
        number = open_pull_request(fresh, "data-pipeline")
        frame = pandas.DataFrame({"repository": ["data-pipeline"] * 2, "pull_request_id": [number] * 2,
                                  "content_raw": ["from pandas 1", "from pandas 2"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no pandas "only supports SQLAlchemy" warning, no rollback warning
        written = frame.to_sql(table, fresh_engine, if_exists="append", index=False)
    assert written == 2
    if table == "branches":
        for name in ("df/one", "df/two"):
            assert api.get(f"/repositories/acme/data-pipeline/refs/branches/{name}").json()["target"]["hash"] == head
        read = pandas.read_sql("SELECT name FROM branches WHERE repository = 'data-pipeline' AND name LIKE 'df/%' "
                               "ORDER BY name", fresh_engine)
        assert list(read["name"]) == ["df/one", "df/two"]
    else:
        texts = {c["content"]["raw"] for c in comments_of(api, "data-pipeline", number).values()}
        assert {"from pandas 1", "from pandas 2"} <= texts


def test_to_sql_that_would_create_or_replace_a_table_is_refused(fresh: EmulatorHandle, fresh_engine: Any) -> None:
    pandas = require_module("pandas", "pandas")
    frame = pandas.DataFrame({"repository": ["api"], "name": ["x"], "target_hash": ["0" * 40]})
    fresh.reset_stats()
    with pytest.raises(ValueError, match="Table 'branches' already exists"):
        frame.to_sql("branches", fresh_engine, index=False)  # if_exists='fail' (pandas says so itself)
    with pytest.raises(sqlalchemy.exc.CompileError, match="cannot run DROP TABLE branches.*if_exists='append'"):
        frame.to_sql("branches", fresh_engine, if_exists="replace", index=False)
    with pytest.raises(sqlalchemy.exc.CompileError, match="cannot run CREATE TABLE scratch.*There is no table 'scratch'"):
        frame.to_sql("scratch", fresh_engine, if_exists="append", index=False)
    with pytest.raises(pandas.errors.DatabaseError, match="'index'.*no such column"):
        frame.to_sql("branches", fresh_engine, if_exists="append")  # the frame's index is not a column
    assert fresh.write_requests() == {}


def test_ddl_is_refused(engine: Any) -> None:
    metadata = sqlalchemy.MetaData()
    sqlalchemy.Table("scratch", metadata, sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True))
    with pytest.raises(sqlalchemy.exc.CompileError, match="cannot run CREATE TABLE scratch"):
        metadata.create_all(engine)


def test_bad_writes_name_the_column_and_send_nothing(engine: Any, emulator: Any) -> None:
    pull_requests = sqlalchemy.Table("pull_requests", sqlalchemy.MetaData(), autoload_with=engine)
    emulator.reset_stats()
    with engine.connect() as connection:
        with pytest.raises(sqlalchemy.exc.ProgrammingError, match="created_on.*read-only"):
            connection.execute(sqlalchemy.text("UPDATE pull_requests SET created_on = now() WHERE id = 1"))
        with pytest.raises(sqlalchemy.exc.ProgrammingError, match="source_branch_name.*required"):
            connection.execute(sqlalchemy.insert(pull_requests).values(repository="api", title="x"))
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="DELETE.*pull_requests"):
            connection.execute(sqlalchemy.delete(pull_requests).where(pull_requests.c.id == 1))
    assert emulator.write_requests() == {}


def test_read_only_connection_refuses_writes(emulator: Any) -> None:
    engine = sqlalchemy.create_engine(emulator_url(emulator, ReadOnly="true"))
    tags = sqlalchemy.Table("tags", sqlalchemy.MetaData(), autoload_with=engine)
    emulator.reset_stats()
    with engine.connect() as connection, pytest.raises(sqlalchemy.exc.DBAPIError, match="ReadOnly"):
        connection.execute(sqlalchemy.insert(tags).values(repository="api", name="t", target_hash="0" * 40))
    engine.dispose()
    assert emulator.write_requests() == {}


def test_a_failed_block_keeps_the_statements_error_and_warns_writes_stay(
    fresh: EmulatorHandle, fresh_engine: Any, api: httpx.Client
) -> None:
    number = open_pull_request(fresh, "mobile-app")
    insert = sqlalchemy.text("INSERT INTO pull_request_comments (repository, pull_request_id, content_raw) "
                             "VALUES ('mobile-app', :number, 'kept')")
    with (pytest.warns(UserWarning, match="cannot undo the 1 row"),
          pytest.raises(sqlalchemy.exc.ProgrammingError, match="bogus"),  # noqa: PT012 - a block is the point
          fresh_engine.begin() as connection):
        connection.execute(insert, {"number": number})
        connection.execute(sqlalchemy.text("UPDATE pull_request_comments SET bogus = 1 WHERE id = 1"))
    assert "kept" in {c["content"]["raw"] for c in comments_of(api, "mobile-app", number).values()}


def test_skip_autocommit_rollback_silences_the_rollback(fresh: EmulatorHandle, api: httpx.Client) -> None:
    engine = sqlalchemy.create_engine(emulator_url(fresh), skip_autocommit_rollback=True)
    number = open_pull_request(fresh, "web")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with engine.connect() as connection:  # no commit: SQLAlchemy would roll back on close
            connection.execute(sqlalchemy.text("UPDATE pull_requests SET title = 'no warning' WHERE repository = 'web' "
                                               f"AND id = {number}"))
    engine.dispose()
    assert api.get(f"/repositories/acme/web/pullrequests/{number}").json()["title"] == "no warning"

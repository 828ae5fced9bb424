"""The DuckDB database a query runs in: settings a user can see from SQL."""

from __future__ import annotations

from bitbucket_sql.engine.engine import Engine


def test_duckdb_draws_no_progress_bar_and_computes_little_ahead_of_the_reader(engine: Engine) -> None:
    """DuckDB would draw a progress bar on the terminal of any program running a long query,
    and compute up to 10 MiB of a streamed result ahead of its reader."""
    sql = "SELECT current_setting('enable_progress_bar'), current_setting('streaming_buffer_size')"
    result = engine.execute(sql)
    assert result.rows == [(False, "976.5 KiB")]


def test_a_result_streamed_from_one_table_runs_on_one_duckdb_thread(engine: Engine) -> None:
    """Its rows come as one Arrow stream: a second DuckDB worker would only hold buffers."""
    streamed = engine.execute("SELECT current_setting('threads') AS threads, slug FROM repositories", stream=True)
    assert streamed.stream is not None
    assert {row[0] for batch in streamed.stream.rows() for row in batch} == {1}
    joined = engine.execute(
        "SELECT current_setting('threads') FROM repositories r JOIN repositories s ON r.uuid = s.uuid LIMIT 1")
    assert joined.rows == [(2,)]

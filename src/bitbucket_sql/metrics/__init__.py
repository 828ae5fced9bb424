"""Engineering metrics as SQL: one documented definition per metric (see docs/dashboard.md).

The dashboard (``bbsql dashboard``), the CLI (``bbsql query --metric NAME``, ``bbsql metrics``)
and Python callers all run the same statements::

    from bitbucket_sql.metrics import LiveSource, MetricParams, get_metric

    source = LiveSource.connect("Workspace=acme;AuthScheme=APIToken;User=...;APIToken=...")
    result = source.run(get_metric("lead_time"), MetricParams(workspace="acme"))
    print(result.columns, result.rows, result.requests)

``SyncFileSource("bitbucket.duckdb")`` answers the same calls from a ``bbsql sync`` file.
"""

from bitbucket_sql.metrics.library import METRICS
from bitbucket_sql.metrics.model import DEFAULT_DAYS, Metric, MetricError, MetricParams, render
from bitbucket_sql.metrics.params import metric_statement, params_from_pairs
from bitbucket_sql.metrics.sources import (
    LiveSource,
    MetricResult,
    MetricSource,
    RateLimit,
    SyncFileSource,
    get_metric,
)

__all__ = [
    "DEFAULT_DAYS",
    "METRICS",
    "LiveSource",
    "Metric",
    "MetricError",
    "MetricParams",
    "MetricResult",
    "MetricSource",
    "RateLimit",
    "SyncFileSource",
    "get_metric",
    "metric_statement",
    "params_from_pairs",
    "render",
]

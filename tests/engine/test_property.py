"""Property: for random predicates on random filterable columns, pushdown never changes the result."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from engine_helpers import canonical
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bitbucket_sql.engine import Engine
from bitbucket_sql.statements_for_tests import sql_literal_for_tests as _unused  # noqa: F401  # pragma: no cover

TABLES = ("pull_requests", "repositories", "pull_request_comments")
OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN", "IS NULL", "IS NOT NULL", "LIKE", "ILIKE", "BETWEEN")

"""Statements as they may be kept (a shell's history, a server's access log): written secrets masked.

The values an INSERT or UPDATE writes may be secrets (a webhook's ``secret``, a secured pipeline
variable's ``value``, a deploy key). Texts that keep statements mask the text literals of such
statements: :func:`mask_written_literals` every write's, :func:`mask_secret_writes` only those of
writes on tables that declare a secret column (so a shell history stays useful elsewhere).
Numbers, names and the statement's shape stay; no parsing is needed, so a statement that does
not parse is masked too.
"""

from __future__ import annotations

import re

from bitbucket_sql.api.redact import MASK

_WRITE = re.compile(
    r"^\s*(?:EXPLAIN\s+(?:ANALY[SZ]E\s+)?)?(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE)\s+"
    r"(?:\"?[\w-]+\"?\s*\.\s*)?\"?(?P<table>\w+)\"?",
    re.IGNORECASE,
)
#: a SQL text literal, with PostgreSQL's E'', X'', B'' and U&'' prefixes
_STRING_LITERAL = re.compile(r"(?:\b[EeXxBb]|\b[Uu]&)?'(?:[^']|'')*'")


def _masked(sql: str) -> str:
    return _STRING_LITERAL.sub(f"'{MASK}'", sql)


def mask_written_literals(sql: str) -> str:
    """``sql`` with every text literal masked when it is an INSERT or UPDATE (else unchanged)."""
    return _masked(sql) if _WRITE.match(sql) else sql


def mask_secret_writes(sql: str) -> str:
    """``sql`` with its text literals masked when it writes a table that has a secret column."""
    match = _WRITE.match(sql)
    if match is None:
        return sql
    from bitbucket_sql.catalog.registry import get_table

    table = get_table(match.group("table"))
    if table is None or any(field.secret for op in table.writes for field in op.fields):
        return _masked(sql)  # an unknown table is masked too: it may be a misspelled secret one
    return sql

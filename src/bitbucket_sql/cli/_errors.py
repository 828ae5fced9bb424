"""One readable paragraph per failure, for every query command.

Engine errors (syntax with position, unknown names with the closest ones), API errors (auth,
permissions, rate limits, with the client's hint) and DB-API errors already explain
themselves; the CLI only flattens them to one paragraph and exits non-zero. With ``bbsql
--debug`` the original exception propagates so that its traceback is shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click


class QueryError(click.ClickException):
    """A query, connection or catalog failure, shown as ``bbsql: error: <paragraph>``.

    Its text passes the same redactor as the logs, whoever built it.
    """

    exit_code = 1

    def __init__(self, message: str) -> None:
        from bitbucket_sql.api.redact import redact_text

        super().__init__(redact_text(message))


def one_paragraph(error: BaseException) -> str:
    """The error's message with its line breaks folded (and any credential masked, by the same
    redactor as the logs), or its type name when it has none."""
    from bitbucket_sql.api.redact import redact_text

    if any(kind.__name__ == "PartialWriteError" for kind in type(error).__mro__):
        # a write that stopped part way lists its rows one per line (written, failed, not attempted)
        lines = [redact_text(" ".join(line.split())) for line in str(error).splitlines() if line.strip()]
        return "\n  ".join(lines)
    text = redact_text(" ".join(str(error).split()))
    return text or type(error).__name__


def _debugging() -> bool:
    context = click.get_current_context(silent=True)
    while context is not None:
        if isinstance(context.obj, dict) and context.obj.get("debug"):
            return True
        context = context.parent
    return False


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn any failure in the block into a :class:`QueryError` unless ``--debug`` was given."""
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt):
        raise
    except Exception as error:  # noqa: BLE001 - the user gets a paragraph, --debug the traceback
        if _debugging():
            raise
        raise QueryError(one_paragraph(error)) from error

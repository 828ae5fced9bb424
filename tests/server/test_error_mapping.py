"""Every engine and API error class reaches clients with a SQLSTATE chosen for it, never by accident."""

from __future__ import annotations

import inspect

import pytest

from bitbucket_sql.api import errors as api_errors
from bitbucket_sql.engine import errors as engine_errors
from bitbucket_sql.server.session import SQLSTATE_BY_ERROR, pg_error_for


def _error_classes() -> list[type[BaseException]]:
    classes = []
    for module in (engine_errors, api_errors):
        for _, kind in inspect.getmembers(module, inspect.isclass):
            # QueryWarning is no error: its messages travel as NoticeResponse
            if kind.__module__ == module.__name__ and issubclass(kind, Exception) and not issubclass(kind, Warning):
                classes.append(kind)
    return classes


def test_every_engine_and_api_error_class_has_its_own_sqlstate() -> None:
    missing = [kind.__qualname__ for kind in _error_classes() if kind not in SQLSTATE_BY_ERROR]
    assert missing == [], f"give these a SQLSTATE in server/session.py's SQLSTATE_BY_ERROR: {missing}"
    for kind, sqlstate in SQLSTATE_BY_ERROR.items():
        assert len(sqlstate) == 5 and sqlstate.isalnum(), (kind, sqlstate)
    # internal_error only for the engine's catch-all, whose DuckDB text is examined further
    assert [k for k, s in SQLSTATE_BY_ERROR.items() if s == "XX000"] == [engine_errors.EngineError]


@pytest.mark.parametrize(
    ("error", "sqlstate"),
    [
        (engine_errors.KeyNotFoundError("branches", "repository", "nope", "Repository 'nope' was not found",
                                        "Check the name: SELECT slug FROM repositories lists them."), "42704"),
        (engine_errors.KeyNotFoundError("repositories", "workspace", "nope", "Workspace 'nope' was not found",
                                        "Check the name."), "3F000"),
        (engine_errors.InvalidIdentifierError("Repository", "a/b", "in repository = 'a/b'",
                                              "use the slug."), "42602"),
        (engine_errors.QueryTimeoutError(5, "fetching pull_requests"), "57014"),
        (api_errors.DeadlineExceededError("The request took longer than Timeout=30", hint="Raise Timeout."),
         "57014"),
        (api_errors.ValidationError("Bitbucket rejected the query", status=400), "22023"),
        (api_errors.ConfigurationError("CABundle='x' could not be loaded", hint="Point CABundle at a PEM file"),
         "F0000"),
        (api_errors.RateLimitedError("rate limited", status=429), "53400"),
        (api_errors.ServerError("Bitbucket answered 503", status=503), "08006"),
        (engine_errors.EngineError("Something unexpected happened in the local database."), "XX000"),
    ],
)
def test_errors_get_their_sqlstate_message_and_hint(error: BaseException, sqlstate: str) -> None:
    mapped = pg_error_for(error)
    assert mapped.sqlstate == sqlstate
    assert mapped.message and mapped.message.split()[0] in str(error)
    hint = getattr(error, "hint", None)
    if hint:
        assert mapped.hint is not None and hint.rstrip(".") in mapped.hint and hint not in mapped.message


def test_the_engines_message_and_advice_are_split_into_message_and_hint() -> None:
    error = engine_errors.KeyNotFoundError(
        "branches", "repository", "nope", "Repository 'nope' was not found in workspace 'acme'",
        "Check the name: SELECT slug FROM repositories lists them.",
    )
    mapped = pg_error_for(error)
    assert mapped.message == "Repository 'nope' was not found in workspace 'acme' (while reading branches)."
    assert mapped.hint == "Check the name: SELECT slug FROM repositories lists them."

"""``CALL`` statements over the wire: PostgreSQL's ``$n`` placeholders turned into the engine's ``?``.

sqlglot reads ``CALL`` as an opaque command, so the session cannot bind parameters in a tree as
it does for queries and INSERT/UPDATE/DELETE. The engine's CALL parser binds ``?`` placeholders
in order (engine/procedures.py); this module rewrites the text once, outside string literals,
quoted identifiers and comments, and lists the values in the order the ``?`` appear (a ``$2``
used twice gives its value twice).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_CALL = re.compile(r"^\s*(?:EXPLAIN(?:\s+ANALY[SZ]E)?\s+)?CALL\b", re.IGNORECASE)
_EXPLAIN = re.compile(r"^\s*EXPLAIN(\s+ANALY[SZ]E)?\s+", re.IGNORECASE)
_DOLLAR = re.compile(r"\$(\d+)")
#: ``[EXPLAIN [ANALYZE]] CALL`` followed by a name that has no schema yet
_UNQUALIFIED = re.compile(r"^(\s*(?:EXPLAIN(?:\s+ANALY[SZ]E)?\s+)?CALL\s+)(?=\w+\s*\()", re.IGNORECASE)


def is_call(text: str) -> bool:
    """Whether ``text`` (comments already stripped at its start) is ``[EXPLAIN [ANALYZE]] CALL ...``."""
    return bool(_CALL.match(text))


def explain_mode(text: str) -> str:
    """``none``, ``explain`` (a dry run: nothing is sent) or ``analyze`` (runs the action)."""
    match = _EXPLAIN.match(text)
    if match is None:
        return "none"
    return "analyze" if match.group(1) else "explain"


def _pieces(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into (is_code, piece): strings, quoted names and comments are not code."""
    pieces: list[tuple[bool, str]] = []
    index, start, length = 0, 0, len(text)
    while index < length:
        char = text[index]
        end = -1
        if char in "'\"":
            end = index + 1
            while end < length:
                if text[end] == char:
                    if end + 1 < length and text[end + 1] == char:  # '' or "" inside
                        end += 2
                        continue
                    break
                end += 1
            end = min(end + 1, length)
        elif text.startswith("--", index):
            newline = text.find("\n", index)
            end = length if newline == -1 else newline
        elif text.startswith("/*", index):
            close = text.find("*/", index + 2)
            end = length if close == -1 else close + 2
        if end == -1:
            index += 1
            continue
        if index > start:
            pieces.append((True, text[start:index]))
        pieces.append((False, text[index:end]))
        index = start = end
    if start < length:
        pieces.append((True, text[start:]))
    return pieces


def dollar_numbers(text: str) -> list[int]:
    """The ``$n`` numbers used in ``text``'s code, sorted and unique."""
    return sorted({int(number) for code, piece in _pieces(text) if code for number in _DOLLAR.findall(piece)})


def with_question_marks(text: str, values: Sequence[Any] | None) -> tuple[str, list[Any]]:
    """``text`` with each ``$n`` as ``?`` and the values in the order of the ``?``.

    ``values`` None binds NULL for every placeholder (describing a prepared CALL before its
    parameters exist). A ``$n`` beyond the values raises :class:`IndexError` naming it.
    """
    ordered: list[Any] = []

    def replace(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if values is None:
            return "NULL"
        if number < 1 or number > len(values):
            raise IndexError(f"there is no parameter ${number}")
        ordered.append(values[number - 1])
        return "?"

    rewritten = "".join(_DOLLAR.sub(replace, piece) if code else piece for code, piece in _pieces(text))
    return rewritten, ordered


def with_schema(text: str, schema: str) -> str:
    """``CALL name(...)`` as ``CALL "schema".name(...)`` (unchanged when it names a schema already):
    the search path's workspace fills a procedure's ``workspace``, as it qualifies tables."""
    quoted = '"' + schema.replace('"', '""') + '".'
    return _UNQUALIFIED.sub(lambda match: match.group(1) + quoted, text, count=1)

"""Partial responses: the ``fields`` query parameter.

Terms are comma-separated in one parameter and applied in order:

* ``a.b`` (no prefix): return *only* listed fields; the response starts empty;
* ``+a.b``: add a field, including ones the endpoint leaves out by default;
* ``-a.b``: drop a field from what is there so far;
* ``*`` matches every field at one level (``-links.*`` leaves ``"links": {}``; ``fields=*`` is
  the full object including default omissions; ``-*,+a`` clears the root then adds ``a``).

On collections paths start at the envelope (``values.id``, ``next``). Paths through arrays apply
to every element. ``omitted`` lists the paths an endpoint hides unless asked for (pull request lists
hide ``values.reviewers`` and ``values.participants``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Both helpers are copy-on-write: they build new containers along the path they touch and share
# every untouched subtree with the input, so the store's objects are never modified and a page
# costs only the copies its field selection needs.


def _without(value: Any, segments: list[str]) -> Any:
    """``value`` with the path ``segments`` removed (``*`` removes every key at that level)."""
    if isinstance(value, list):
        return [_without(element, segments) for element in value]
    if not isinstance(value, dict) or not segments:
        return value
    head, rest = segments[0], segments[1:]
    keys = list(value) if head == "*" else [head]
    result = dict(value)
    for key in keys:
        if key not in result:
            continue
        if rest:
            result[key] = _without(result[key], rest)
        else:
            del result[key]
    return result


def _with(target: Any, source: Any, segments: list[str]) -> Any:
    """``target`` with the path ``segments`` copied in from ``source``."""
    if not segments:
        return source
    if isinstance(source, list):
        previous = target if isinstance(target, list) and len(target) == len(source) else [None] * len(source)
        return [
            _with(previous[index] if isinstance(previous[index], dict) else {}, element, segments)
            if isinstance(element, dict)
            else element
            for index, element in enumerate(source)
        ]
    if not isinstance(source, dict):
        return source
    result = dict(target) if isinstance(target, dict) else {}
    head, rest = segments[0], segments[1:]
    keys = list(source) if head == "*" else [head]
    for key in keys:
        if key in source:
            result[key] = _with(result.get(key), source[key], rest)
    return result


def default_view(full: Any, omitted: Sequence[str]) -> Any:
    """``full`` without the ``omitted`` paths."""
    for path in omitted:
        full = _without(full, path.split("."))
    return full


def apply_fields(full: Any, spec: str | None, omitted: Sequence[str] = ()) -> Any:
    """The representation of ``full`` selected by a ``fields`` parameter value."""
    terms = [term.strip() for term in (spec or "").split(",") if term.strip()]
    if not terms:
        return default_view(full, omitted)
    only = any(term[0] not in "+-" for term in terms)
    result: Any = {} if only else default_view(full, omitted)
    for term in terms:
        if term.startswith("-"):
            result = _without(result, term[1:].split("."))
        else:
            path = term[1:] if term.startswith("+") else term
            if path:
                result = _with(result, full, path.split("."))
    return result

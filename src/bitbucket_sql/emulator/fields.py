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


def _clone(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _clone(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clone(item) for item in value]
    return value


def _without(value: Any, segments: list[str]) -> None:
    """Delete the path ``segments`` from ``value`` in place (``*`` deletes every key)."""
    if isinstance(value, list):
        for element in value:
            _without(element, segments)
        return
    if not isinstance(value, dict) or not segments:
        return
    head, rest = segments[0], segments[1:]
    keys = list(value) if head == "*" else [head]
    for key in keys:
        if key not in value:
            continue
        if rest:
            _without(value[key], rest)
        else:
            del value[key]


def _with(target: Any, source: Any, segments: list[str]) -> Any:
    """Copy the path ``segments`` from ``source`` into ``target``; returns the (new) target."""
    if not segments:
        return _clone(source)
    if isinstance(source, list):
        if not isinstance(target, list) or len(target) != len(source):
            target = [{} if isinstance(item, dict) else None for item in source]
        for index, element in enumerate(source):
            if isinstance(element, dict):
                target[index] = _with(
                    target[index] if isinstance(target[index], dict) else {}, element, segments
                )
            else:
                target[index] = element
        return target
    if not isinstance(source, dict):
        return _clone(source)
    if not isinstance(target, dict):
        target = {}
    head, rest = segments[0], segments[1:]
    keys = list(source) if head == "*" else [head]
    for key in keys:
        if key in source:
            target[key] = _with(target.get(key), source[key], rest)
    return target


def default_view(full: Any, omitted: Sequence[str]) -> Any:
    """``full`` without the ``omitted`` paths, copying only the containers it changes."""
    if not omitted:
        return full
    result = _clone(full)
    for path in omitted:
        _without(result, path.split("."))
    return result


def apply_fields(full: Any, spec: str | None, omitted: Sequence[str] = ()) -> Any:
    """The representation of ``full`` selected by a ``fields`` parameter value."""
    terms = [term.strip() for term in (spec or "").split(",") if term.strip()]
    if not terms:
        return default_view(full, omitted)
    only = any(term[0] not in "+-" for term in terms)
    result: Any = {} if only else _clone(default_view(full, omitted))
    for term in terms:
        if term.startswith("-"):
            _without(result, term[1:].split("."))
        else:
            path = term[1:] if term.startswith("+") else term
            if path:
                result = _with(result, full, path.split("."))
    return result

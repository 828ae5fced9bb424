"""Path templates: which placeholders a template has, and filling them safely.

Every template of a table (``path``, ``get_path``, ``wide_path``, write paths) names its
placeholders after the table's PathKey placeholders or its columns (see ``TableDef``). Values
are percent-encoded (braces of UUIDs as ``%7B...%7D``; ``#``, ``?``, ``%`` and spaces too), with
one exception: a ``/`` in the value of a *path-valued* placeholder (:data:`PATH_VALUED`: branch
and tag names, revisions, diff specs) that *ends* the template stays raw, because such names
contain slashes and Bitbucket takes them raw there (``/refs/branches/feature/x``,
``/commits/release/2.0``). Anywhere else a ``/`` is sent as ``%2F``: a workspace, slug, key or
id never holds one, and a raw one would address a different resource
(``/repositories/{workspace}`` with ``acme/api/refs/branches`` would list branches).
This is the only function that fills templates (the engine uses it too).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

#: Placeholders are named as the spec names them: snake case, and camel case in a few
#: Code Insights paths (``{reportId}``).
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

#: Placeholders whose values are git names or file paths that may hold ``/`` (kept raw when they
#: end a template: ``/src/main/docs/index.md``, ``/filehistory/main/src/app.py``).
PATH_VALUED: frozenset[str] = frozenset({"name", "revision", "spec", "path"})


def placeholders(template: str) -> tuple[str, ...]:
    """Placeholder names of ``template`` in order (``/repositories/{workspace}/{repo_slug}`` ->
    ``("workspace", "repo_slug")``)."""
    return tuple(_PLACEHOLDER.findall(template))


def fill(template: str, values: Mapping[str, object]) -> str:
    """``template`` with every placeholder replaced by its percent-encoded value.

    Raises KeyError naming the placeholder when a value is missing, so a planning bug
    cannot silently produce a wrong URL, and ValueError when a value cannot be a path segment
    (empty, ``.``, ``..``, or a raw-slash value with such a part): no URL addresses it.
    """
    tail = _PLACEHOLDER.fullmatch(template[template.rfind("{"):]) if template.endswith("}") else None
    last_start = template.rfind("{") if tail is not None and tail.group(1) in PATH_VALUED else -1

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values or values[name] is None:
            raise KeyError(f"no value for placeholder {{{name}}} of {template}")
        text = str(values[name])
        raw_slashes = match.start() == last_start
        parts = text.split("/") if raw_slashes else [text]
        if any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"{text!r} cannot be the {{{name}}} segment of {template}")
        return quote(text, safe="/" if raw_slashes else "")

    return _PLACEHOLDER.sub(replace, template)


_FORBIDDEN_IN_IDENTIFIERS = re.compile(r"[/\\?#%\s\x00-\x1f\x7f]")


def identifier_problem(value: str) -> str | None:
    """Why ``value`` cannot be a workspace slug, repository slug or other identifier segment
    (None when it can). Such values are refused before any request, because no encoding makes
    them address what the user meant (Bitbucket's slugs never hold these characters)."""
    if value in ("", ".", ".."):
        return "it is empty" if value == "" else "it is a dot path"
    found = _FORBIDDEN_IN_IDENTIFIERS.search(value)
    if found is None:
        return None
    character = found.group(0)
    shown = {" ": "a space", "/": "'/'", "\\": "'\\'"}.get(character, repr(character))
    return f"it contains {shown}, which no slug does"

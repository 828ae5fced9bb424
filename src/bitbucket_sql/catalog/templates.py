"""Path templates: which placeholders a template has, and filling them safely.

Every template of a table (``path``, ``get_path``, ``wide_path``, write paths) names its
placeholders after the table's PathKey placeholders or its columns (see ``TableDef``). Values
are percent-encoded except ``/``: branch and tag names contain slashes and Bitbucket takes
them raw in the path, while braces of UUIDs (``{...}``) must be sent as ``%7B...%7D``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def placeholders(template: str) -> tuple[str, ...]:
    """Placeholder names of ``template`` in order (``/repositories/{workspace}/{repo_slug}`` ->
    ``("workspace", "repo_slug")``)."""
    return tuple(_PLACEHOLDER.findall(template))


def fill(template: str, values: Mapping[str, object]) -> str:
    """``template`` with every placeholder replaced by its percent-encoded value.

    Raises KeyError naming the placeholder when a value is missing, so a planning bug
    cannot silently produce a wrong URL.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values or values[name] is None:
            raise KeyError(f"no value for placeholder {{{name}}} of {template}")
        return quote(str(values[name]), safe="/")

    return _PLACEHOLDER.sub(replace, template)

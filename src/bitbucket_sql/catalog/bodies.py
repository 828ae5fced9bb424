"""Named hooks that turn a write's declared body into the one the API takes.

Most writes need none: their body is the declared fields at their JSON paths. A hook exists only
where the API wants something no column says, such as a discriminator that depends on which
columns were given. Each is a plain function referenced by a table's
:class:`~bitbucket_sql.catalog.model.WriteOp` (``shape_body``), so tables stay declarative.
"""

from __future__ import annotations

from typing import Any


def pipeline_trigger(body: dict[str, Any]) -> dict[str, Any]:
    """A pipeline run's target: a commit target when only a commit is named, else a ref target
    (``ref_type`` branch unless given); a selector pattern without a type is a custom pipeline."""
    target = body.setdefault("target", {})
    if "ref_name" in target:
        target.setdefault("type", "pipeline_ref_target")
        target.setdefault("ref_type", "branch")
    elif "commit" in target:
        target.setdefault("type", "pipeline_commit_target")
    selector = target.get("selector")
    if isinstance(selector, dict) and "pattern" in selector:
        selector.setdefault("type", "custom")
    return body

"""The layer rules of docs/architecture.md, checked on the source: imports point one way only.

api <- catalog <- engine <- outlets (dbapi, cli); the emulator stands apart, so that the client
and the emulated server cannot share a bug.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "bitbucket_sql"

#: layer -> the bitbucket_sql layers it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "api": set(),
    "catalog": set(),
    # the engine's cache refreshes through the sync core's change feeds (engine/refresh.py)
    "engine": {"api", "catalog", "sync"},
    "dbapi": {"api", "catalog", "engine"},
    "cli": {"api", "catalog", "engine", "dbapi", "server", "metrics", "dashboard", "sync"},
    "server": {"api", "catalog", "engine"},
    "sqlalchemy": {"api", "catalog", "dbapi"},
    "metrics": {"api", "catalog", "engine"},
    "dashboard": {"api", "catalog", "engine", "metrics"},
    "emulator": set(),
    # the sync core runs where the engine's DuckDB cannot be installed (Fivetran's SDK)
    "sync": {"api", "catalog"},
}
#: The only outlet modules that may start the emulator.
EMULATOR_STARTERS = {"cli/emulator_cmd.py", "cli/demo_cmd.py", "cli/serve_cmd.py", "cli/dashboard_cmd.py"}


def _imported_layers(path: Path) -> set[str]:
    """The bitbucket_sql sub-packages a module imports (absolute or relative imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own_parts = path.relative_to(PACKAGE).parts[:-1]
    layers: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(own_parts[: len(own_parts) - (node.level - 1)])
                module = ".".join(["bitbucket_sql", *base, *(node.module.split(".") if node.module else [])])
                names = [module]
                if not node.module:
                    names += [f"{module}.{alias.name}" for alias in node.names]
            elif node.module:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        for name in names:
            parts = name.split(".")
            if parts[0] == "bitbucket_sql" and len(parts) > 1 and parts[1] in ALLOWED:
                layers.add(parts[1])
    return layers


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] in ALLOWED)


def test_every_layer_has_modules() -> None:
    found = {p.relative_to(PACKAGE).parts[0] for p in MODULES}
    assert found == set(ALLOWED)


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_one_way(module: Path) -> None:
    relative = module.relative_to(PACKAGE)
    layer = relative.parts[0]
    foreign = _imported_layers(module) - {layer}
    allowed = set(ALLOWED[layer])
    if relative.as_posix() in EMULATOR_STARTERS:
        allowed.add("emulator")
    assert foreign <= allowed, f"{relative} imports {sorted(foreign - allowed)}, against docs/architecture.md"

"""Assemble the connector directory that `fivetran debug` and `fivetran deploy` run from.

Fivetran installs a connector's requirements.txt from PyPI and uploads the project directory
itself. bitbucket-sql is not on PyPI, and the whole package could not install next to the SDK
anyway (the SDK pins duckdb 1.5.6, the engine needs duckdb 2). The connector only needs the
layers below the engine: the API client (``api``), the table catalog (``catalog``) and the sync
core's extraction (``sync.extract`` and the modules it imports), which import neither DuckDB
nor sqlglot. So this script copies that code, as it is in this checkout, into the connector
directory next to connector.py, and checks that it imports nothing else from bitbucket_sql:

    python integrations/fivetran/build.py              # -> build/fivetran-connector/
    python integrations/fivetran/build.py DIRECTORY

Re-running it refreshes the code and keeps what `fivetran debug` wrote (files/) and an edited
configuration.json. It needs only the standard library.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]
PACKAGE_SOURCE = REPOSITORY / "src" / "bitbucket_sql"
DEFAULT_OUTPUT = REPOSITORY / "build" / "fivetran-connector"

#: The bitbucket_sql sub-packages the connector imports: api and catalog are copied whole, sync
#: only as far as its extraction reaches (its loader, for `bbsql sync`, needs dlt and DuckDB).
VENDORED_PACKAGES = ("api", "catalog", "sync")
WHOLE_PACKAGES = ("api", "catalog")
SYNC_ENTRY_MODULES = ("__init__", "extract")
#: The package's own top-level files (its __init__ loads the DB-API only on first use).
PACKAGE_FILES = ("__init__.py", "py.typed")
#: This directory's files that belong to the connector.
CONNECTOR_FILES = ("connector.py", "bitbucket_configuration.py", "requirements.txt")
#: Copied only where absent: the user's copy may hold real credentials.
EXAMPLE_FILES = ("configuration.json",)


class BuildError(RuntimeError):
    """The connector directory cannot be assembled from this checkout."""


def foreign_imports(package_root: Path, allowed: tuple[str, ...]) -> list[str]:
    """``file: module`` for each import of a bitbucket_sql sub-package outside ``allowed``."""
    problems = []
    for path in sorted(package_root.rglob("*.py")):
        relative = path.relative_to(package_root)
        if len(relative.parts) == 1:
            continue  # the package's __init__: its DB-API names load lazily, never at import
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            elif isinstance(node, ast.ImportFrom) and node.level:
                base = list(relative.parts[:-1])[: len(relative.parts) - node.level]
                modules = [".".join(["bitbucket_sql", *base, *([node.module] if node.module else [])])]
            for module in modules:
                parts = module.split(".")
                if parts[0] == "bitbucket_sql" and len(parts) > 1 and parts[1] not in allowed:
                    problems.append(f"{relative.as_posix()}: {module}")
    return problems


def _imported_modules(path: Path, package: str) -> set[str]:
    """Names of the modules of ``bitbucket_sql.<package>`` that the module at ``path`` imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[:2] == ["bitbucket_sql", package]:
                found.update([parts[2]] if len(parts) > 2 else [alias.name for alias in node.names])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[:2] == ["bitbucket_sql", package] and len(parts) > 2:
                    found.add(parts[2])
    return found


def sync_modules(sync_source: Path) -> list[str]:
    """The modules of the sync package its extraction needs: the entry modules and what they
    import, transitively (module files only; the package has no sub-packages)."""
    needed: set[str] = set()
    todo = list(SYNC_ENTRY_MODULES)
    while todo:
        name = todo.pop()
        path = sync_source / f"{name}.py"
        if name in needed or not path.is_file():
            continue
        needed.add(name)
        todo.extend(_imported_modules(path, "sync") - needed)
    return sorted(needed)


def _ignore(directory: str, names: list[str]) -> set[str]:
    return {name for name in names if name == "__pycache__" or name.endswith((".pyc", ".pyo"))}


def build(output: Path = DEFAULT_OUTPUT, source: Path = PACKAGE_SOURCE) -> Path:
    """Write the connector directory at ``output`` and return it."""
    missing = [name for name in VENDORED_PACKAGES if not (source / name / "__init__.py").is_file()]
    if missing:
        raise BuildError(
            f"{source} has no {', '.join(missing)} package: build from a checkout of bitbucket-sql "
            "that has the sync core (src/bitbucket_sql/sync)"
        )
    output.mkdir(parents=True, exist_ok=True)
    package = output / "bitbucket_sql"
    if package.exists():
        shutil.rmtree(package)
    package.mkdir()
    for name in PACKAGE_FILES:
        shutil.copy2(source / name, package / name)
    for name in WHOLE_PACKAGES:
        shutil.copytree(source / name, package / name, ignore=_ignore)
    (package / "sync").mkdir()
    for name in sync_modules(source / "sync"):
        shutil.copy2(source / "sync" / f"{name}.py", package / "sync" / f"{name}.py")
    problems = foreign_imports(package, VENDORED_PACKAGES)
    if problems:
        shutil.rmtree(package)
        raise BuildError(
            "the connector's copy of bitbucket_sql would import modules it does not carry "
            "(they need DuckDB 2, which cannot install next to the Fivetran SDK):\n  " + "\n  ".join(problems)
        )
    for name in CONNECTOR_FILES:
        shutil.copy2(HERE / name, output / name)
    for name in EXAMPLE_FILES:
        if not (output / name).exists():
            shutil.copy2(HERE / name, output / name)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT, help="directory to write")
    arguments = parser.parse_args(argv)
    try:
        output = build(arguments.output.resolve())
    except BuildError as error:
        print(f"build.py: {error}", file=sys.stderr)
        return 1
    print(f"connector directory ready: {output}")
    print(f"next: cd {output} && fivetran debug --configuration configuration.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The machine and library versions a benchmark ran with, so numbers can be compared later."""

from __future__ import annotations

import os
import platform
from importlib import metadata

PACKAGES = ("bitbucket-sql", "duckdb", "sqlglot", "httpx", "atlassian-python-api", "pandas", "requests")


def memory_gib() -> float | None:
    """Total physical memory, from sysconf (Linux, macOS); None where it is not available."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return None


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_description() -> dict[str, str]:
    memory = memory_gib()
    return {
        "cores": str(os.cpu_count() or "?"),
        "cpu": cpu_model(),
        "memory": f"{memory:.1f} GiB" if memory is not None else "unknown",
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions

"""The Fivetran connector's own virtualenv for the tests: the SDK (which pins duckdb 1.5.6) plus
the connector's requirements.txt, built once per requirements and reused.

It lives in the system's temporary directory, keyed by a hash of the requirement files and the
Python version, so repeated runs (and CI after a developer's run on the same machine) start in
seconds. It is built behind a file lock and marked complete last, so an interrupted build is
rebuilt rather than used.

Creating it needs PyPI. Where that fails, the tests skip naming the reason, except under
CI=true, where it is a failure.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from filelock import FileLock

CONNECTOR_DIRECTORY = Path(__file__).resolve().parents[2] / "integrations" / "fivetran"
REQUIREMENT_FILES = ("requirements-dev.txt", "requirements.txt")
#: pip may take a while on a cold cache; this bounds a hung index.
INSTALL_TIMEOUT_S = 900
#: Written last: a virtualenv without it was interrupted while being built.
COMPLETE_MARKER = "bbsql-complete"


def _key() -> str:
    digest = hashlib.sha256(f"{sys.version_info[:2]}".encode())
    for name in REQUIREMENT_FILES:
        digest.update((CONNECTOR_DIRECTORY / name).read_bytes())
    return digest.hexdigest()[:16]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the Fivetran connector's environment could not be built: {reason}")
    pytest.skip(f"fivetran-connector-sdk environment unavailable: {reason}")


def sdk_environment() -> Path:
    """The path of a virtualenv with fivetran-connector-sdk and the connector's requirements."""
    root = Path(
        os.environ.get("BBSQL_FIVETRAN_VENV_CACHE") or Path(tempfile.gettempdir()) / "bbsql-fivetran-venvs"
    )
    root.mkdir(parents=True, exist_ok=True)
    venv = root / _key()
    complete = venv / COMPLETE_MARKER
    with FileLock(str(root / f"{venv.name}.lock")):
        if complete.is_file():
            return venv
        shutil.rmtree(venv, ignore_errors=True)  # an interrupted build
        steps = {
            "python -m venv": [sys.executable, "-m", "venv", str(venv)],
            "pip install -r integrations/fivetran/requirements-dev.txt": [
                str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r",
                str(CONNECTOR_DIRECTORY / "requirements-dev.txt"),
            ],
        }  # fmt: skip
        for label, command in steps.items():
            try:
                done = subprocess.run(
                    command, cwd=CONNECTOR_DIRECTORY, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S
                )
            except subprocess.TimeoutExpired:
                shutil.rmtree(venv, ignore_errors=True)
                _unavailable(f"{label} did not finish within {INSTALL_TIMEOUT_S} s")
            if done.returncode != 0:
                shutil.rmtree(venv, ignore_errors=True)
                tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
                _unavailable(f"{label} failed (exit {done.returncode}):\n{tail}")
        complete.write_text("built from " + ", ".join(REQUIREMENT_FILES) + "\n")
    return venv


def sdk_run_environment(venv: Path) -> dict[str, str]:
    """Environment variables for the SDK's commands: its bin on PATH (the SDK runs pipreqs from
    there), no telemetry, and no proxy in the way of the loopback emulator."""
    environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    environment["PATH"] = f"{venv / 'bin'}{os.pathsep}{environment.get('PATH', '')}"
    environment["VIRTUAL_ENV"] = str(venv)
    environment["DO_NOT_TRACK"] = "1"
    environment.pop("PYTHONPATH", None)
    return environment

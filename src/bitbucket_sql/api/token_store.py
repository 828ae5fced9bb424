"""The OAuth token file: tokens per consumer in one JSON file, never torn, never world-readable.

Bitbucket rotates refresh tokens: each refresh returns a new refresh token and the old one dies
shortly after. A half-written file would therefore lose the only valid token, so every write goes
to a temporary file in the same directory (mode 0600), is fsynced and renamed over the old file;
read-modify-write cycles are serialised across threads and, on POSIX, across processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bitbucket_sql.api.errors import ConfigurationError
from bitbucket_sql.api.redact import SCRUBBER
from bitbucket_sql.api.settings import ConnectionSettings

try:
    import fcntl
except ImportError:  # Windows: the in-process lock still applies
    fcntl = None  # type: ignore[assignment]


class TokenStore:
    """Tokens of OAuth consumers in one JSON file, keyed by token endpoint and client id.

    Writes go to a temporary file in the same directory (mode 0600), are fsynced and then
    renamed over the old file, so readers always see a complete file and a crash never leaves
    a half-written token file behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @staticmethod
    def key(settings: ConnectionSettings) -> str:
        return f"{settings.token_url} {settings.oauth_client_id or ''}"

    def _read(self) -> dict[str, Any]:
        try:
            with self.path.open("r", encoding="utf-8") as handle:
                document = json.load(handle)
        except FileNotFoundError:
            return {"version": 1, "tokens": {}}
        except (OSError, ValueError) as error:
            raise ConfigurationError(
                f"the OAuth token file {self.path} cannot be read ({type(error).__name__})",
                hint="Delete it (bbsql auth logout) and sign in again with 'bbsql auth login'",
            ) from None
        if not isinstance(document, dict) or not isinstance(document.get("tokens"), dict):
            return {"version": 1, "tokens": {}}
        return document

    def load(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            token = self._read()["tokens"].get(key)
        if isinstance(token, dict) and token.get("access_token"):
            SCRUBBER.register(token.get("access_token"), token.get("refresh_token"))
            return dict(token)
        return None

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Serialise read-modify-write cycles across threads and (on POSIX) processes."""
        with self._lock:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            lock_path = self.path.with_name(self.path.name + ".lock")
            descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                if fcntl is not None:
                    fcntl.flock(descriptor, fcntl.LOCK_EX)
                yield
            finally:
                os.close(descriptor)  # closing releases the lock

    def save(self, key: str, token: dict[str, Any]) -> None:
        with self._exclusive():
            document = self._read()
            document["tokens"][key] = {**dict(token), "saved_at": int(time.time())}
            self._write(document)

    def delete(self, key: str) -> bool:
        with self._exclusive():
            document = self._read()
            if key not in document["tokens"]:
                return False
            del document["tokens"][key]
            if document["tokens"]:
                self._write(document)
            else:
                self.path.unlink(missing_ok=True)
            return True

    def _write(self, document: dict[str, Any]) -> None:
        directory = self.path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".oauth-", suffix=".tmp", dir=directory)
        try:
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable
            directory_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(directory_fd)
            finally:
                os.close(directory_fd)

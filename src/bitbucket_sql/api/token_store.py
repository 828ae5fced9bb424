"""The OAuth token file: tokens per consumer in one JSON file, never torn, never world-readable.

Bitbucket rotates refresh tokens: each refresh returns a new refresh token and the old one dies
at once. A half-written file would therefore lose the only valid token, so every write goes
to a temporary file in the same directory (mode 0600), is fsynced and renamed over the old file.

Several connections, threads and processes may share one file. :meth:`TokenStore.locked` holds
an exclusive lock on ``<file>.lock`` (``filelock``: POSIX and Windows, re-entrant within a
thread) across a whole read-refresh-write cycle, so only one of them spends the refresh token
and the others re-read the file and adopt the new tokens. :meth:`TokenStore.check_writable`
proves that the new tokens can be saved before a refresh token is spent.
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

from filelock import FileLock, Timeout

from bitbucket_sql.api.errors import ConfigurationError
from bitbucket_sql.api.redact import SCRUBBER
from bitbucket_sql.api.settings import ConnectionSettings

#: How long to wait for another process's refresh before giving up (a refresh takes a second).
LOCK_WAIT_SECONDS = 60.0


class TokenStore:
    """Tokens of OAuth consumers in one JSON file, keyed by token endpoint and client id.

    Writes go to a temporary file in the same directory (mode 0600), are fsynced and then
    renamed over the old file, so readers always see a complete file and a crash never leaves
    a half-written token file behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file_lock = FileLock(str(path.with_name(path.name + ".lock")), mode=0o600)

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
            problem = "is not valid JSON" if isinstance(error, ValueError) else f"cannot be read ({error.strerror})"
            raise ConfigurationError(
                f"the OAuth token file {self.path} (OAuthSettingsLocation) {problem}",
                hint="Delete it (bbsql auth logout) and sign in again with 'bbsql auth login'",
            ) from None
        if not isinstance(document, dict) or not isinstance(document.get("tokens"), dict):
            return {"version": 1, "tokens": {}}
        return document

    def _check_token(self, token: dict[str, Any]) -> None:
        """A stored token whose fields have the wrong types is an error that says which field."""
        for name in ("access_token", "refresh_token", "token_type"):
            if token.get(name) is not None and not isinstance(token[name], str):
                raise ConfigurationError(
                    f"the OAuth token file {self.path} (OAuthSettingsLocation) is damaged: '{name}' is a "
                    f"{type(token[name]).__name__}, not text",
                    hint="Run 'bbsql auth logout' and 'bbsql auth login' to store fresh tokens",
                )
        for name in ("expires_at", "expires_in"):
            value = token.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ConfigurationError(
                    f"the OAuth token file {self.path} (OAuthSettingsLocation) is damaged: '{name}' is a "
                    f"{type(value).__name__}, not a number",
                    hint="Run 'bbsql auth logout' and 'bbsql auth login' to store fresh tokens",
                )

    def load(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            token = self._read()["tokens"].get(key)
        if isinstance(token, dict) and token.get("access_token"):
            self._check_token(token)
            SCRUBBER.register(token.get("access_token"), token.get("refresh_token"))
            return dict(token)
        return None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the token file's lock (across threads and processes; re-entrant in one thread).

        Hold it across a whole read-refresh-write cycle: whoever holds it may spend the refresh
        token, everyone else waits and then finds the new tokens in the file.
        """
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._file_lock.acquire(timeout=LOCK_WAIT_SECONDS)
        except Timeout:
            raise ConfigurationError(
                f"another process held the lock on the OAuth token file {self.path} for "
                f"{LOCK_WAIT_SECONDS:g} seconds",
                hint="Retry; if it persists, stop the process that hangs while refreshing",
            ) from None
        except OSError as error:
            raise self._not_writable(error) from None
        try:
            yield
        finally:
            self._file_lock.release()

    def check_writable(self) -> None:
        """Prove that new tokens can be saved here, before a refresh token is spent on them.

        The check writes (and removes) a file in the token file's folder, the way a save does;
        a permission check alone is not enough (root, read-only mounts, a full disk).
        """
        try:
            descriptor, probe = tempfile.mkstemp(prefix=".oauth-", suffix=".probe", dir=self.path.parent)
        except OSError as error:
            raise self._not_writable(error) from None
        os.close(descriptor)
        with contextlib.suppress(OSError):
            os.unlink(probe)

    def _not_writable(self, error: OSError) -> ConfigurationError:
        return ConfigurationError(
            f"the folder of the OAuth token file {self.path} (OAuthSettingsLocation) is not writable "
            f"({error.strerror or type(error).__name__}), so refreshed tokens could not be saved; the "
            "stored refresh token was not used and stays valid",
            hint="Make the folder writable, or copy the token file to a writable folder and point "
            "OAuthSettingsLocation at the copy",
        )

    def save(self, key: str, token: dict[str, Any]) -> None:
        with self.locked():
            document = self._read()
            document["tokens"][key] = {**dict(token), "saved_at": int(time.time())}
            self._write(document)

    def delete(self, key: str) -> bool:
        with self.locked():
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

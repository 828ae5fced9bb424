"""The engine's API client, made on the first request instead of when a connection opens.

Why: the HTTP stack (httpx, httpcore, their TLS set-up) is a good part of a process's start-up,
and many queries never make a request: ``SELECT 1``, the catalog (``sys_tables``), a query
answered from the persistent cache, a ``bbsql sync`` copy. The credentials are still checked
when the connection opens (the auth scheme is built here, at once: a missing API token is an
error of ``connect``, as before); only the HTTP client waits.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from bitbucket_sql.api import accounting
from bitbucket_sql.api.auth import build_auth

if TYPE_CHECKING:
    from bitbucket_sql.api.accounting import Recording
    from bitbucket_sql.api.client import BitbucketClient
    from bitbucket_sql.api.settings import ConnectionSettings


class LazyClient:
    """Stands for a :class:`~bitbucket_sql.api.client.BitbucketClient` and makes it on first use.

    ``recording()`` needs no client (request accounting is per context); every other attribute
    is the real client's.
    """

    #: the real client understands ``paginate_many(..., announce_end=True, reads_all=True)``
    announces_end = True

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self._auth = build_auth(settings)
        self._client: BitbucketClient | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def made(self) -> bool:
        """Whether the real client exists (a request was needed)."""
        return self._client is not None

    def real(self) -> BitbucketClient:
        """The client, made now if it was not yet."""
        with self._lock:
            if self._client is None:
                if self._closed:
                    raise RuntimeError("the connection's API client is closed")
                from bitbucket_sql.api.client import BitbucketClient

                self._client = BitbucketClient(self.settings, auth=self._auth)
            return self._client

    def recording(self) -> AbstractContextManager[Recording]:
        """``with client.recording() as rec:``: the requests made for one query (see the client's)."""
        return accounting.recording()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.real(), name)

    def close(self) -> None:
        """Close the real client if it was made, else release the auth scheme."""
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            client.close()
        else:
            self._auth.close()

    def __repr__(self) -> str:
        return f"<LazyClient {self.settings.base_url} made={self.made}>"

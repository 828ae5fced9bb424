"""The OAuth authorization-code sign-in: consent in a browser, the code caught on loopback.

A one-shot listener on CallbackURL receives Bitbucket's redirect (``?code=&state=``). The
browser is opened when there is a graphical one; otherwise the URL is printed and the user may
paste the address the browser was redirected to (headless machines). The code is exchanged by
authlib and the tokens are stored in the token file.

Only a redirect that carries this sign-in's ``state`` counts. Anything else that reaches the
loopback port (a stale tab of an earlier sign-in, another local program, a forged request) is
logged, answered with a short page and ignored; the sign-in keeps waiting until its timeout.
"""

from __future__ import annotations

import contextlib
import http.server
import logging
import os
import socket
import socketserver
import sys
import threading
import webbrowser
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from bitbucket_sql.api.errors import ConfigurationError, OAuthFlowError
from bitbucket_sql.api.oauth_client import TOKEN_ERRORS, token_client, token_failure
from bitbucket_sql.api.redact import SCRUBBER
from bitbucket_sql.api.settings import ConnectionSettings
from bitbucket_sql.api.token_store import TokenStore

log = logging.getLogger("bitbucket_sql.api.oauth")


class _CallbackHandler(http.server.BaseHTTPRequestHandler):
    """Answers the browser's redirect and hands its query to the listener; never logs it."""

    server: _CallbackServer

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        listener = self.server.listener
        split = urlsplit(self.path)
        query = parse_qs(split.query)
        if (split.path or "/") != listener.path or not ({"code", "error"} & query.keys()):
            self.send_response(404)
            self.end_headers()
            return
        if not listener.offer(f"{listener.redirect_uri}?{split.query}", source="the browser"):
            self._answer(
                400,
                "<h1>This is not the current sign-in</h1><p>The link belongs to another or an earlier "
                "sign-in. Use the newest URL that bbsql printed; the sign-in in the terminal goes on.</p>",
            )
            return
        self._answer(
            200,
            "<h1>bitbucket-sql is signed in</h1><p>You can close this window.</p>"
            if "code" in query
            else "<h1>Sign-in was not completed</h1><p>Return to the terminal.</p>",
        )

    def _answer(self, status: int, html: str) -> None:
        body = f"<html><body>{html}</body></html>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return  # the request line holds the authorization code


class _CallbackServer(socketserver.TCPServer):
    # SO_REUSEADDR: a sign-in right after another must not fail because the last one's
    # connection still lingers in TIME_WAIT on the same port.
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], listener: CallbackListener) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.listener = listener
        super().__init__(address, _CallbackHandler)


class CallbackListener:
    """A one-shot HTTP listener on the loopback CallbackURL that receives ``?code=&state=``.

    The port is bound on entering the ``with`` block and closed on leaving it. Port 0 in
    CallbackURL binds a free port (``redirect_uri`` then names the bound port). Requests are
    never logged (the query holds the authorization code).
    """

    def __init__(self, callback_url: str) -> None:
        self.callback_url = callback_url
        parts = urlsplit(callback_url)
        self._host = parts.hostname or "localhost"
        self._port = 80 if parts.port is None else parts.port
        self.path = parts.path or "/"
        self.redirect_uri = callback_url
        self._result: str | None = None
        self._state: str | None = None
        self.ignored = 0  # redirects refused because their state was not this sign-in's
        self._arrived = threading.Event()
        self._server: _CallbackServer | None = None
        self._thread: threading.Thread | None = None

    def expect(self, state: str) -> None:
        """From now on only redirects carrying this ``state`` are accepted."""
        self._state = state

    def offer(self, redirected_url: str, source: str = "a pasted address") -> bool:
        """Accept a redirect URL (from the listener or pasted by the user); the first valid one wins.

        One whose ``state`` is not this sign-in's is logged (without its code) and refused
        (False), and the listener goes on waiting for the right one.
        """
        received = parse_qs(urlsplit(redirected_url.strip()).query).get("state", [None])[0]
        if self._state is not None and received != self._state:
            self.ignored += 1
            log.warning(
                "Ignored a redirect from %s to %s that does not belong to this sign-in (%s); "
                "still waiting for the right one.",
                source, self.redirect_uri, "no state" if received is None else "state mismatch",
            )
            return False
        if not self._arrived.is_set():
            self._result = redirected_url.strip()
            self._arrived.set()
        return True

    def __enter__(self) -> CallbackListener:
        bind_host = "127.0.0.1" if self._host == "localhost" else self._host
        try:
            self._server = _CallbackServer((bind_host, self._port), self)
        except OSError as error:
            raise OAuthFlowError(
                f"cannot listen on CallbackURL {self.callback_url} ({error.strerror or error})",
                hint="Another program uses that port; set CallbackURL to a free loopback port that is "
                "registered as the consumer's callback URL",
            ) from None
        port = self._server.server_address[1]
        netloc = f"[{self._host}]:{port}" if ":" in self._host else f"{self._host}:{port}"
        self.redirect_uri = urlunsplit(("http", netloc, urlsplit(self.callback_url).path, "", ""))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="oauth-callback", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait(self, timeout: float) -> str | None:
        self._arrived.wait(timeout)
        return self._result


def stdin_is_terminal() -> bool:
    """Whether someone could paste the redirect address (stdin is a terminal, not a pipe or /dev/null)."""
    try:
        return bool(sys.stdin and sys.stdin.isatty())
    except (OSError, ValueError):  # closed or replaced stdin
        return False


def has_browser() -> bool:
    """Whether a graphical browser can be opened (text browsers would hijack the terminal)."""
    if sys.platform in ("darwin", "win32"):
        return True
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def default_open_browser(url: str) -> bool:
    if not has_browser():
        return False
    try:
        return webbrowser.open(url, new=1)
    except webbrowser.Error:
        return False


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def authorization_code_login(
    settings: ConnectionSettings,
    *,
    open_browser: Callable[[str], bool] | None = default_open_browser,
    announce: Callable[[str], None] = _stderr,
    read_pasted: Callable[[], str] | None = None,
    timeout: float = 300.0,
    store: TokenStore | None = None,
) -> dict[str, Any]:
    """Run the authorization-code flow and return (and store) the token.

    The browser is opened when ``open_browser`` manages to; the URL is always announced. On
    a headless machine the user opens the URL elsewhere and pastes the address the browser
    was redirected to (``read_pasted`` reads it); whichever arrives first is used.
    """
    if not (settings.oauth_client_id and settings.oauth_client_secret):
        raise ConfigurationError(
            "OAuth sign-in needs OAuthClientId and OAuthClientSecret",
            hint="Create an OAuth consumer in Bitbucket workspace settings and add both to the connection",
        )
    store = store or TokenStore(settings.token_file)
    with (
        CallbackListener(settings.callback_url) as listener,
        token_client(settings, redirect_uri=listener.redirect_uri) as client,
    ):
        url, state = client.create_authorization_url(settings.authorization_url)
        listener.expect(state)
        opened = bool(open_browser(url)) if open_browser else False
        if opened:
            announce(f"Opened your browser to sign in to Bitbucket. If it did not open, visit:\n  {url}")
        else:
            announce(
                "Sign in to Bitbucket by opening this URL in a browser:\n"
                f"  {url}\n"
                f"After you grant access, the browser is sent to {listener.redirect_uri}. If that "
                "page does not load (the browser runs on another machine), copy the address from "
                "the browser's address bar and paste it here."
            )
            if read_pasted is not None:
                threading.Thread(
                    target=lambda: _offer_pasted(listener, read_pasted), name="oauth-paste", daemon=True
                ).start()
        redirected = listener.wait(timeout)
        if redirected is None:
            raise OAuthFlowError(
                f"no authorization arrived at {listener.redirect_uri} within {timeout:g} seconds"
                + (f" ({listener.ignored} request(s) of another sign-in were ignored)" if listener.ignored else ""),
                hint="Run 'bbsql auth login' again and complete the consent page in time",
            )
        query = parse_qs(urlsplit(redirected).query)
        if "error" in query:
            reason = " ".join(query.get("error_description", query["error"]))
            raise OAuthFlowError(
                f"Bitbucket did not grant access: {reason}",
                hint="Run 'bbsql auth login' again and choose 'Grant access'",
            )
        if query.get("state", [None])[0] != state:  # the listener admits only this state; defence in depth
            raise OAuthFlowError(
                "the authorization response does not belong to this sign-in (state mismatch)",
                hint="Run 'bbsql auth login' again and use the newest URL only",
            )
        SCRUBBER.register(*query.get("code", []))
        try:
            token = client.fetch_token(settings.token_url, authorization_response=redirected, state=state)
        except TOKEN_ERRORS as error:
            raise token_failure("Exchanging the authorization code", error, settings) from None
    token = dict(token)
    SCRUBBER.register(token.get("access_token"), token.get("refresh_token"))
    store.save(TokenStore.key(settings), token)
    return token


def _offer_pasted(listener: CallbackListener, read_pasted: Callable[[], str]) -> None:
    """Read pasted addresses until one is accepted (a wrong one is reported and ignored)."""
    with contextlib.suppress(EOFError, OSError, ValueError):
        while True:
            pasted = read_pasted()
            if not pasted:
                return  # end of input
            if ("code=" in pasted or "error=" in pasted) and listener.offer(pasted):
                return

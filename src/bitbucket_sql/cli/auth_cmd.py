"""``bbsql auth login | status | logout``: sign in, show who you are, forget stored tokens.

The connection comes from ``-c``, ``BBSQL_CONNECTION`` or ``--profile`` like every command.
``login`` runs the OAuth authorization-code flow for ``AuthScheme=OAuth`` (browser when there
is one, a printed URL and a paste prompt when there is not) and validates token schemes with
``GET /user``; ``status`` shows the account, scheme, expiry and scopes; ``logout`` deletes the
stored OAuth tokens. No command ever prints a secret.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click

from bitbucket_sql.cli._connection import connection_options, resolve_settings
from bitbucket_sql.cli._errors import QueryError, friendly_errors


def open_browser(url: str) -> bool:
    """Open the system browser when there is one (replaced in tests by a scripted consent)."""
    from bitbucket_sql.api.oauth import default_open_browser

    return default_open_browser(url)


def _read_pasted() -> str:
    return sys.stdin.readline()


def _announce(message: str) -> None:
    click.echo(message, err=True)


def _when(timestamp: float | None) -> str:
    if not timestamp:
        return "not reported"
    remaining = int(timestamp - time.time())
    moment = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))
    if remaining <= 0:
        return f"{moment} (expired; it is refreshed on next use)"
    return f"{moment} (in {remaining // 60} min)"


def _whoami(settings: Any) -> dict[str, Any]:
    """``GET /user`` with the configured scheme, plus what the scheme and headers tell."""
    from bitbucket_sql.api.client import BitbucketClient

    with BitbucketClient(settings, interactive=False) as client:
        response = client.request("GET", "/user")
        user = response.json()
        info = client.auth.describe()
        header_scopes = response.headers.get("X-OAuth-Scopes")
        rate = client.rate_limit
    scopes = list(info.scopes) or (
        [s.strip() for s in header_scopes.split(",") if s.strip()] if header_scopes else []
    )
    return {
        "user": user.get("display_name"),
        "account_id": user.get("account_id"),
        "uuid": user.get("uuid"),
        "nickname": user.get("nickname"),
        "type": user.get("type"),
        "auth_scheme": info.scheme,
        "principal": info.principal,
        "expires_at": info.expires_at,
        "scopes": scopes,
        "token_file": info.token_file,
        "base_url": settings.base_url,
        "requests_last_hour": rate.used_last_hour,
        "rate_limit_per_hour": rate.limit,
    }


def _print_status(status: dict[str, Any]) -> None:
    who = status["user"] or status["nickname"] or "(no name)"
    ident = status["account_id"] or status["uuid"]
    click.echo(f"Signed in to {status['base_url']} as {who}" + (f" ({ident})" if ident else ""))
    click.echo(f"  auth scheme:   {status['auth_scheme']}")
    if status["principal"]:
        click.echo(f"  credential:    {status['principal']}")
    if status["auth_scheme"] in ("OAuth", "Client"):
        click.echo(f"  token expires: {_when(status['expires_at'])}")
    click.echo(
        f"  scopes:        {' '.join(status['scopes']) if status['scopes'] else 'not reported by the server'}"
    )
    if status["token_file"]:
        click.echo(f"  token file:    {status['token_file']}")
    click.echo(
        f"  rate limit:    {status['requests_last_hour']} of {status['rate_limit_per_hour']} requests "
        "used in the last hour (this process)"
    )


@click.group("auth")
def auth() -> None:
    """Sign in to Bitbucket, show who you are, or sign out.

    \b
    bbsql auth login  -c 'AuthScheme=OAuth;OAuthClientId=...;OAuthClientSecret=...'
    bbsql auth status -c 'AuthScheme=APIToken;User=me@example.com;APIToken=...'
    bbsql auth logout --profile work
    """


@auth.command("login")
@connection_options
@click.option("--no-browser", is_flag=True, help="Do not open a browser; print the URL (headless machines).")
@click.option("--timeout", type=float, default=300.0, show_default=True, help="Seconds to wait for consent.")
def login(connection: str | None, profile: str | None, no_browser: bool, timeout: float) -> None:
    """Sign in with OAuth (AuthScheme=OAuth), or check that a token scheme works."""
    settings = resolve_settings(connection, profile)
    with friendly_errors():
        if settings.auth_scheme == "None":
            raise QueryError(
                "the connection has no credentials to sign in with: use AuthScheme=OAuth with "
                "OAuthClientId and OAuthClientSecret, or AuthScheme=APIToken with User and APIToken, "
                "or AccessToken (see docs/authentication.md)"
            )
        if settings.auth_scheme == "OAuth":
            if settings.initiate_oauth == "OFF":
                raise QueryError(
                    "InitiateOAuth=OFF uses the given OAuthAccessToken and never signs in; "
                    "remove it to sign in"
                )
            from bitbucket_sql.api.oauth import authorization_code_login

            authorization_code_login(
                settings,
                open_browser=None if no_browser else open_browser,
                announce=_announce,
                read_pasted=_read_pasted if sys.stdin and sys.stdin.isatty() else None,
                timeout=timeout,
            )
            click.echo(f"OAuth tokens saved to {settings.token_file} (readable only by you).")
        status = _whoami(settings)
    _print_status(status)


@auth.command("status")
@connection_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(connection: str | None, profile: str | None, as_json: bool) -> None:
    """Show the account, auth scheme, token expiry and granted scopes (never the secret)."""
    settings = resolve_settings(connection, profile)
    with friendly_errors():
        result = _whoami(settings)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        _print_status(result)


@auth.command("logout")
@connection_options
def logout(connection: str | None, profile: str | None) -> None:
    """Delete the stored OAuth tokens of this connection's consumer."""
    settings = resolve_settings(connection, profile)
    with friendly_errors():
        if settings.auth_scheme != "OAuth":
            click.echo(
                f"AuthScheme={settings.auth_scheme} stores no tokens; nothing to delete. To stop a token "
                "from working, revoke it in Bitbucket (API tokens: Atlassian account settings; access "
                "tokens: repository, project or workspace settings)."
            )
            return
        from bitbucket_sql.api.oauth import TokenStore

        store = TokenStore(settings.token_file)
        if store.delete(TokenStore.key(settings)):
            click.echo(
                f"Deleted the stored OAuth tokens for consumer {settings.oauth_client_id} "
                f"from {settings.token_file}."
            )
        else:
            click.echo(
                f"No OAuth tokens were stored for consumer {settings.oauth_client_id} in "
                f"{settings.token_file}."
            )

"""``bbsql serve``: the PostgreSQL-protocol and SQL Server-protocol (TDS) servers, so psql, BI tools and
drivers query Bitbucket live.

``bbsql serve --config server.toml`` serves the configured databases and users (docs/server.md);
``bbsql serve --demo`` needs nothing: it starts the emulator with demo data in this process and
serves it as database ``demo`` to user ``demo`` (password ``demo``), printing what to paste into
psql, JDBC or ODBC. ``bbsql serve hash-password`` prints a SCRAM-SHA-256 verifier for the config.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

DEMO_DATABASE = "demo"
DEMO_USER = "demo"
DEMO_PASSWORD = "demo"  # published demo credential of a loopback-only demo, not a secret


def _configure_logging(access_log: str | None) -> None:
    handler: logging.Handler
    if access_log and access_log != "-":
        handler = logging.FileHandler(access_log, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    access = logging.getLogger("bitbucket_sql.server.access")
    access.setLevel(logging.INFO)
    access.addHandler(handler)
    access.propagate = False
    server = logging.getLogger("bitbucket_sql.server")
    server.setLevel(logging.INFO)
    server_handler = logging.StreamHandler(sys.stderr)
    server_handler.setFormatter(logging.Formatter("bbsql serve: %(message)s"))
    server.addHandler(server_handler)


def connection_hints(
    host: str, port: int, database: str, user: str, password: str | None, ssl: str
) -> list[str]:
    """The lines to copy: psql, a JDBC URL and an ODBC connection string (``ssl``: an sslmode)."""
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    pwd = password or "<password>"
    return [
        f'  psql "host={shown_host} port={port} dbname={database} user={user} password={pwd} sslmode={ssl}"',
        f"  JDBC: jdbc:postgresql://{shown_host}:{port}/{database}?user={user}&password={pwd}&sslmode={ssl}",
        f"  ODBC: Driver={{PostgreSQL Unicode}};Server={shown_host};Port={port};Database={database};"
        f"Uid={user};Pwd={pwd};SSLmode={ssl}",
    ]


@contextlib.contextmanager
def _demo_setup(host: str, port: int, scale: str) -> Iterator[Any]:
    """The emulator with demo data and a server config serving it as database ``demo``."""
    from bitbucket_sql.cli.demo_cmd import demo_connection_string, running_emulator
    from bitbucket_sql.server.auth import make_verifier
    from bitbucket_sql.server.config import DatabaseConfig, ServerConfig, TlsConfig, UserConfig
    from bitbucket_sql.server.tls import write_self_signed

    click.echo(f"Starting the Bitbucket emulator ({scale} demo data)…", err=True)
    with running_emulator(scale, 1) as emulator, tempfile.TemporaryDirectory(prefix="bbsql-serve-") as folder:
        cert, key = write_self_signed(Path(folder), host if host not in ("0.0.0.0", "::") else "127.0.0.1")
        config = ServerConfig(
            host=host,
            port=port,
            tls=TlsConfig(cert, key),
            databases={
                DEMO_DATABASE: DatabaseConfig(DEMO_DATABASE, demo_connection_string(emulator.base_url))
            },
            # read-write: the demo's data is a throwaway emulator in this process, so writes and CALL
            # (docs/writing.md) can be tried from psql or a SQL Server client as they are documented
            users={DEMO_USER: UserConfig(DEMO_USER, make_verifier(DEMO_PASSWORD), {DEMO_DATABASE: "read-write"})},
        )
        yield config


def _tds_port(tds_port: int | None, pg_port: int) -> int:
    """--tds-port, else 1433; 0 (a free port) when the PostgreSQL port is 0, so that both pick free ports."""
    if tds_port is not None:
        return tds_port
    return 0 if pg_port == 0 else 1433


def tds_hints(host: str, port: int, database: str, user: str, password: str | None) -> list[str]:
    """The lines to copy for SQL Server clients (sqlcmd, FreeTDS tsql, an ODBC connection string)."""
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    pwd = password or "<password>"
    return [
        f"  sqlcmd -S {shown_host},{port} -d {database} -U {user} -P {pwd} -C",
        f"  tsql -H {shown_host} -p {port} -D {database} -U {user} -P {pwd}",
        f"  ODBC: Driver={{ODBC Driver 18 for SQL Server}};Server={shown_host},{port};Database={database};"
        f"Uid={user};Pwd={pwd};Encrypt=yes;TrustServerCertificate=yes",
    ]


def _run(
    config: Any,
    banner: list[str],
    tds_port: int | None = None,
    tds_banner: list[str] | None = None,
    allow_cleartext_login: bool = False,
) -> None:
    from bitbucket_sql.server.listener import PgServer, ServerStartError, serve_forever
    from bitbucket_sql.server.tds.listener import TdsServer
    from bitbucket_sql.server.tls import TlsError

    try:
        server = PgServer(config)
        tds = (
            TdsServer(config, tds_port, allow_cleartext_login=allow_cleartext_login)
            if tds_port is not None
            else None
        )
    except TlsError as error:
        raise click.ClickException(str(error)) from None

    def ready(running: PgServer) -> None:
        tls = "TLS available" + (" and required" if config.require_tls else "") if config.tls else "TLS off"
        click.echo(
            f"bbsql serve: PostgreSQL protocol on {running.host}:{running.port} ({tls}); Ctrl-C to stop."
        )
        for line in banner:
            click.echo(line.replace("{port}", str(running.port)))
        if tds is not None:
            certificate = (
                "the configured certificate" if config.tls else "a self-signed certificate made at start"
            )
            scope = "every connection" if config.require_tls else "at least the login"
            click.echo(
                f"bbsql serve: SQL Server protocol (TDS) on {tds.host}:{tds.port} (TLS for {scope}, "
                f"{certificate})."
            )
            for line in tds_banner or []:
                click.echo(line.replace("{tds_port}", str(tds.port)))
        sys.stdout.flush()

    async def main() -> None:
        if tds is not None:
            await tds.start()
        try:
            await serve_forever(server, on_ready=ready)
        finally:
            if tds is not None and not tds.stopped:
                await tds.stop()

    try:
        asyncio.run(main())
    except ServerStartError as error:
        raise click.ClickException(error.strerror or str(error)) from None


@click.group(name="serve", invoke_without_command=True)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="BBSQL_SERVER_CONFIG",
    help="Server config file (TOML: databases, users, grants, TLS; see docs/server.md). Env: BBSQL_SERVER_CONFIG.",
)
@click.option(
    "--demo", is_flag=True, help="Serve the emulator's demo data as database 'demo' (user demo/demo)."
)
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1, or the config's).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port to listen on (default 5432, or the config's); 0 picks a free one and prints it.",
)
@click.option(
    "--tds-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port of the SQL Server protocol (TDS) listener (default 1433; 0 when --port is 0): "
    "0 picks a free one and prints it.",
)
@click.option("--no-tds", is_flag=True, help="Do not open the SQL Server protocol (TDS) listener.")
@click.option(
    "--tds-allow-cleartext-login",
    is_flag=True,
    help="Let TDS clients that cannot encrypt log in from loopback only (their password then travels in clear).",
)
@click.option("--require-tls", is_flag=True, help="Refuse clients that do not use TLS (needs a certificate).")
@click.option("--tls-cert", type=click.Path(dir_okay=False, path_type=Path), help="TLS certificate (PEM).")
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path), help="TLS private key (PEM).")
@click.option(
    "--scale",
    type=click.Choice(["tiny", "small", "medium"]),
    default="small",
    show_default=True,
    help="Size of the demo data (with --demo).",
)
@click.option(
    "--access-log", metavar="PATH", default="-", show_default=True, help="Access log file ('-': stderr)."
)
@click.pass_context
def serve(
    ctx: click.Context,
    config_path: Path | None,
    demo: bool,
    host: str | None,
    port: int | None,
    tds_port: int | None,
    no_tds: bool,
    tds_allow_cleartext_login: bool,
    require_tls: bool,
    tls_cert: Path | None,
    tls_key: Path | None,
    scale: str,
    access_log: str,
) -> None:
    """Serve Bitbucket as a PostgreSQL database and as a SQL Server (TDS) one: psql, JDBC, ODBC, SQL Server
    clients and BI tools connect unmodified.

    Try it with `bbsql serve --demo`. For your own workspace, write a config file (databases,
    users with `bbsql serve hash-password` verifiers, grants) and run `bbsql serve --config FILE`.
    """
    if ctx.invoked_subcommand is not None:
        return
    from bitbucket_sql.server.config import ConfigError, TlsConfig, load_config

    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("--tls-cert and --tls-key go together")
    _configure_logging(access_log)
    if demo:
        with _demo_setup(host or "127.0.0.1", 5432 if port is None else port, scale) as config:
            if tls_cert and tls_key:
                config.tls = TlsConfig(tls_cert, tls_key)
            config.require_tls = require_tls
            banner = [
                f"Database '{DEMO_DATABASE}' (workspace acme), user '{DEMO_USER}', password '{DEMO_PASSWORD}'. "
                "Connect with:",
                *connection_hints(
                    config.host,
                    0,
                    DEMO_DATABASE,
                    DEMO_USER,
                    DEMO_PASSWORD,
                    "require" if require_tls else "prefer",
                ),
            ]
            banner = [
                line.replace("port=0", "port={port}")
                .replace(":0/", ":{port}/")
                .replace("Port=0;", "Port={port};")
                for line in banner
            ]
            tds_banner = tds_hints(config.host, 0, DEMO_DATABASE, DEMO_USER, DEMO_PASSWORD)
            tds_banner = [
                line.replace(",0 ", ",{tds_port} ")
                .replace(" -p 0 ", " -p {tds_port} ")
                .replace(",0;", ",{tds_port};")
                for line in tds_banner
            ]
            _run(
                config,
                banner,
                None if no_tds else _tds_port(tds_port, config.port),
                tds_banner,
                tds_allow_cleartext_login,
            )
        return
    if config_path is None:
        raise click.UsageError("give --config FILE (see docs/server.md), or try --demo")
    try:
        config = load_config(config_path)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    if host is not None:
        config.host = host
    if port is not None:
        config.port = port
    if tls_cert and tls_key:
        config.tls = TlsConfig(tls_cert, tls_key)
    if require_tls:
        if config.tls is None:
            raise click.UsageError(
                "--require-tls needs a certificate: --tls-cert/--tls-key or [tls] in the config"
            )
        config.require_tls = True
    databases = ", ".join(sorted(config.databases)) or "none"
    _run(
        config,
        [f"Databases: {databases}; users: {len(config.users)}."],
        None if no_tds else _tds_port(tds_port if tds_port is not None else config.tds_port, config.port),
        None,
        tds_allow_cleartext_login or config.tds_allow_cleartext_login,
    )


@serve.command(name="hash-password")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting."
)
def hash_password(password_stdin: bool) -> None:
    """Print a SCRAM-SHA-256 verifier for a password, to paste into the server config's [users.NAME]."""
    from bitbucket_sql.server.auth import make_verifier

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.UsageError("the password is empty")
    click.echo(str(make_verifier(password)))

"""Connection-string parsing: keys, quoting, types, inference, profiles and secret masking."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bitbucket_sql.api.errors import ConfigurationError
from bitbucket_sql.api.settings import PROPERTIES, parse_connection_string, split_connection_string

DOCS = Path(__file__).resolve().parents[2] / "docs" / "connection-properties.md"


def test_keys_are_case_insensitive_and_keywords_accept_snake_case() -> None:
    settings = parse_connection_string(
        "baseurl=https://api.bitbucket.org/2.0/;WORKSPACE=acme;maxConcurrency=3",
        max_retries=2,
        CacheTTL="10",
    )
    assert settings.base_url == "https://api.bitbucket.org/2.0"
    assert settings.workspace == "acme"
    assert settings.max_concurrency == 3
    assert settings.max_retries == 2
    assert settings.cache_ttl == 10.0


def test_keyword_arguments_override_the_string() -> None:
    settings = parse_connection_string("Workspace=acme;Timeout=5", workspace="globex")
    assert settings.workspace == "globex"
    assert settings.timeout == 5.0


def test_quoted_values_hold_semicolons_and_doubled_quotes() -> None:
    pairs = split_connection_string("""User=a@b.c; APIToken='x;y''z' ;Scope="repository account";""")
    assert pairs == [("User", "a@b.c"), ("APIToken", "x;y'z"), ("Scope", "repository account")]


def test_unknown_key_names_the_closest_property() -> None:
    with pytest.raises(ConfigurationError, match="MaxConcurency.*Did you mean MaxConcurrency"):
        parse_connection_string("MaxConcurency=4")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("Timeout=soon", "Timeout must be a number"),
        ("MaxConcurrency=0", "MaxConcurrency=0 is too small"),
        ("MaxRetries=1.5", "MaxRetries must be a whole number"),
        ("AuthScheme=AppPassword", "AuthScheme has a value that is not valid.*APIToken"),
        ("BaseURL=ftp://x", "BaseURL must be an http"),
        ("Workspace", "Workspace has no '='"),
        ("Workspace=acme;oops", "the connection string segment after Workspace has no '='"),
        ("BaseURL=https://me:pw-5511@h/2.0", "BaseURL must not contain a user name or password"),
        ("User='unterminated", "never closed"),
        ("AuthScheme=APIToken;User=a@b.c", "AuthScheme=APIToken needs APIToken"),
        ("AuthScheme=Client;OAuthClientId=x", "needs OAuthClientSecret"),
        ("AuthScheme=OAuth", "needs OAuthClientId and OAuthClientSecret"),
        ("AuthScheme=OAuth;OAuthClientId=a;OAuthClientSecret=b;CallbackURL=http://example.com:1", "loopback"),
        (
            "BaseURL=http://127.0.0.1:7990/2.0 Workspace=acme;AccessToken=t",
            r"value of BaseURL contains 'Workspace='.*forget a ';' before Workspace\?",
        ),
        ("Workspace=acme maxretries = 3", r"value of Workspace contains 'MaxRetries='.*forget a ';' before MaxRetries\?"),
        ("BaseURL='https://h/2.0 x'", r"BaseURL must not contain spaces.*%20"),
        ("BaseURL='https://h/2.0\tWorkspace=acme'", r"BaseURL must not contain spaces.*before Workspace\?"),
    ],
)
def test_bad_values_are_clear_errors(text: str, pattern: str) -> None:
    with pytest.raises(ConfigurationError, match=pattern):
        parse_connection_string(text)


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        ("User=me@example.com;APIToken=t", "APIToken"),
        ("AccessToken=t", "AccessToken"),
        ("OAuthClientId=i;OAuthClientSecret=s", "Client"),
        ("OAuthClientId=i;OAuthClientSecret=s;OAuthRefreshToken=r", "OAuth"),
        ("User=me;Password=p", "Basic"),
        ("Workspace=acme", "None"),
        ("AuthScheme=oauth;OAuthClientId=i;OAuthClientSecret=s", "OAuth"),
    ],
)
def test_auth_scheme_is_inferred_from_the_credentials(text: str, scheme: str) -> None:
    assert parse_connection_string(text).auth_scheme == scheme


def test_oauth_endpoints_derive_from_base_url() -> None:
    cloud = parse_connection_string("")
    assert cloud.authorization_url == "https://bitbucket.org/site/oauth2/authorize"
    assert cloud.token_url == "https://bitbucket.org/site/oauth2/access_token"
    local = parse_connection_string("BaseURL=http://127.0.0.1:8123/2.0")
    assert local.authorization_url == "http://127.0.0.1:8123/site/oauth2/authorize"
    assert local.token_url == "http://127.0.0.1:8123/site/oauth2/access_token"
    explicit = parse_connection_string("OAuthTokenURL=https://sso.example.com/token")
    assert explicit.token_url == "https://sso.example.com/token"


def test_defaults_match_the_documentation() -> None:
    settings = parse_connection_string(None)
    assert settings.base_url == "https://api.bitbucket.org/2.0"
    assert (settings.max_concurrency, settings.max_fanout, settings.max_rows) == (8, 2000, -1)
    assert (settings.timeout, settings.max_retries, settings.max_retry_wait) == (60.0, 5, 120.0)
    assert settings.rate_limit_per_hour == 1000
    assert settings.initiate_oauth == "GETANDREFRESH"
    assert settings.callback_url == "http://localhost:33333"


def test_repr_and_str_mask_every_secret() -> None:
    secrets = {
        "APIToken": "tok-111111",
        "Password": "pw-222222",
        "AccessToken": "acc-333333",
        "OAuthClientSecret": "cs-444444",
        "OAuthAccessToken": "oat-555555",
        "OAuthRefreshToken": "ort-666666",
    }
    text = ";".join(f"{k}={v}" for k, v in secrets.items())
    settings = parse_connection_string(f"AuthScheme=APIToken;User=me@example.com;OAuthClientId=cid;{text}")
    for shown in (repr(settings), str(settings), f"{settings}"):
        for value in secrets.values():
            assert value not in shown
        assert "me@example.com" in shown
    with pytest.raises(ConfigurationError) as caught:
        parse_connection_string("APIToken=   ;AuthScheme=APIToken;User=x;Password=pw-777777;Timeout=pw")
    assert "pw-777777" not in str(caught.value)


def test_profiles_load_from_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[profiles.work]\nBaseURL = "http://127.0.0.1:9/2.0"\nWorkspace = "acme"\nmax_concurrency = 2\n'
        'AuthScheme = "AccessToken"\nAccessToken = "from-profile"\n'
    )
    monkeypatch.setenv("BBSQL_CONFIG", str(config))
    settings = parse_connection_string("Profile=work;Workspace=globex")
    assert settings.workspace == "globex"  # explicit keys win over the profile
    assert settings.max_concurrency == 2
    assert settings.access_token == "from-profile"
    with pytest.raises(ConfigurationError, match="profile 'home' is not defined.*Defined profiles: work"):
        parse_connection_string(profile="home")
    monkeypatch.setenv("BBSQL_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigurationError, match="does not exist"):
        parse_connection_string(profile="work")


def test_query_timeout_is_seconds_and_zero_means_no_limit() -> None:
    assert parse_connection_string(None).query_timeout is None
    assert parse_connection_string("QueryTimeout=0").query_timeout is None
    assert parse_connection_string("QueryTimeout=2.5").query_timeout == 2.5
    assert parse_connection_string(query_timeout=30).query_timeout == 30.0
    with pytest.raises(ConfigurationError, match="QueryTimeout=-1.0 is too small"):
        parse_connection_string("QueryTimeout=-1")
    with pytest.raises(ConfigurationError, match="QueryTimeout must be a number"):
        parse_connection_string("QueryTimeout=soon")


def test_every_property_is_documented() -> None:
    text = DOCS.read_text()
    for prop in PROPERTIES:
        assert re.search(rf"\|\s*`{prop.name}`\s*\|", text), f"{prop.name} missing from {DOCS.name}"


_values = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


@given(user=_values, token=_values, workspace=_values)
def test_quoted_values_round_trip(user: str, token: str, workspace: str) -> None:
    def quote(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    text = f"User={quote(user)};APIToken={quote(token)};Workspace={quote(workspace)}"
    assert split_connection_string(text) == [("User", user), ("APIToken", token), ("Workspace", workspace)]


def test_a_forgotten_separator_after_a_secret_does_not_echo_it() -> None:
    with pytest.raises(ConfigurationError, match=r"value of APIToken contains 'Workspace='.*before Workspace\?") as caught:
        parse_connection_string("User=me@example.com;APIToken=tok-98765 Workspace=acme")
    assert "tok-98765" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        # a secret with an unquoted ';': its tail becomes a segment of its own
        ("AuthScheme=APIToken;User=me@example.com;APIToken=ATATT-abc;tail-77123", "tail-77123"),
        ("AuthScheme=APIToken;User=me@example.com;APIToken=ATATT-abc;tail-77123=x", "tail-77123"),
        ("AccessToken=tok;tail-77123;Workspace=acme", "tail-77123"),
        ("Password='pw-77123", "pw-77123"),
        ("BaseURL=https://me:pw-77123@api.example.com/2.0", "pw-77123"),
        ("CallbackURL=http://me:pw-77123@localhost:1", "pw-77123"),
        ("Timeout=pw-77123", "pw-77123"),
        ("AuthScheme=pw-77123", "pw-77123"),
        ("Workspace=acme pw-77123 Repository=x", "pw-77123"),
    ],
)
def test_parse_errors_name_the_property_never_its_value(text: str, secret: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_connection_string(text)
    message = str(caught.value)
    assert secret not in message
    assert re.search(r"APIToken|AccessToken|Password|BaseURL|CallbackURL|Timeout|AuthScheme|Workspace", message)


def test_a_secret_tail_error_says_to_quote_the_secret() -> None:
    with pytest.raises(ConfigurationError, match=r"after APIToken has no '='.*quote it \(APIToken='...'\)"):
        parse_connection_string("User=me@example.com;APIToken=abc;def")
    with pytest.raises(ConfigurationError, match=r"unknown connection property follows APIToken.*quote it"):
        parse_connection_string("User=me@example.com;APIToken=abc;def=ghi")


def test_spaces_that_are_no_forgotten_separator_stay_allowed() -> None:
    settings = parse_connection_string("Scope=repository account;UserAgent=ci job 7;Workspace='a Repository=b'")
    assert settings.scope == "repository account"
    assert settings.user_agent == "ci job 7"
    assert settings.workspace == "a Repository=b"  # quoted: meant literally
    with pytest.raises(ConfigurationError, match="BaseURL must not contain spaces.*before Workspace"):
        parse_connection_string(base_url="https://h/2.0 Workspace=acme")  # keywords are checked too

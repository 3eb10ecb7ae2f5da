"""What the client sends, and what a successful answer becomes.

Every test talks to a real HTTP server on the loopback interface
(pytest-httpserver); nothing of the code under test is mocked.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request

import claude_usage
import support
from claude_usage import Credentials, SecretToken, UsageClient, UsageData
from claude_usage.client import ANTHROPIC_BETA, DEFAULT_USER_AGENT, MAX_BODY_BYTES, USAGE_PATH
from claude_usage.env_backend import EnvBackend

StaticBackend = support.StaticBackend


def requests_seen(server: HTTPServer) -> list[Request]:
    return [request for request, _ in server.log]


def only_request(server: HTTPServer) -> Request:
    seen = requests_seen(server)
    assert len(seen) == 1, f"expected exactly one request, the server saw {len(seen)}"
    return seen[0]


# -- the request ------------------------------------------------------------------


def test_request_line_and_headers_are_exactly_what_the_endpoint_needs(
    api: HTTPServer, token: str, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", token)
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_SCOPES", "user:inference user:profile")
    support.serve(api, body)

    claude_usage.get_usage(backend=EnvBackend())

    request = only_request(api)
    assert request.method == "GET"
    assert request.path == "/api/oauth/usage" == USAGE_PATH
    assert request.query_string == b""
    assert request.get_data() == b""
    assert request.headers.getlist("Authorization") == [f"Bearer {token}"]
    assert request.headers.getlist("anthropic-beta") == ["oauth-2025-04-20"] == [ANTHROPIC_BETA]
    assert request.headers.getlist("Accept") == ["application/json"]
    assert request.headers.getlist("User-Agent") == [DEFAULT_USER_AGENT]
    assert request.headers["User-Agent"].startswith("claude-code/")
    assert "Cookie" not in request.headers
    assert "Proxy-Authorization" not in request.headers


def test_default_user_agent_presents_a_claude_code_version() -> None:
    assert re.fullmatch(r"claude-code/\d+\.\d+\.\d+ \(claude-usage/[^()\s]+\)", DEFAULT_USER_AGENT)


@pytest.mark.parametrize(
    ("argument", "environment", "expected"),
    [
        ("claude-code/9.9.9 (custom)", None, "claude-code/9.9.9 (custom)"),
        (None, "claude-code/8.8.8 (from env)", "claude-code/8.8.8 (from env)"),
        ("claude-code/7.7.7 (argument)", "claude-code/6.6.6 (env)", "claude-code/7.7.7 (argument)"),
        (None, "", DEFAULT_USER_AGENT),
    ],
    ids=["argument", "environment", "argument-beats-environment", "empty-environment"],
)
def test_user_agent_is_overridable(
    api: HTTPServer,
    token: str,
    body: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    argument: str | None,
    environment: str | None,
    expected: str,
) -> None:
    if environment is not None:
        monkeypatch.setenv("CLAUDE_USAGE_USER_AGENT", environment)
    support.serve(api, body)

    claude_usage.get_usage(backend=StaticBackend(Credentials(access_token=token)), user_agent=argument)

    assert only_request(api).headers.getlist("User-Agent") == [expected]


def test_user_agent_argument_of_the_client(api: HTTPServer, token: str, body: dict[str, Any]) -> None:
    support.serve(api, body)
    with UsageClient(user_agent="claude-code/1.2.3") as client:
        client.fetch(Credentials(access_token=token))
    assert only_request(api).headers["User-Agent"] == "claude-code/1.2.3"


def test_netrc_never_replaces_the_bearer_token(api: HTTPServer, token: str, body: dict[str, Any], home: Path) -> None:
    netrc = home / ".netrc"
    netrc.write_text("default login netrc-user password netrc-password\n")
    netrc.chmod(0o600)
    support.serve(api, body)

    claude_usage.get_usage(backend=StaticBackend(Credentials(access_token=token)))

    assert only_request(api).headers.getlist("Authorization") == [f"Bearer {token}"]


def test_base_url_path_prefix_is_kept_and_trailing_slash_dropped(
    httpserver: HTTPServer, token: str, body: dict[str, Any]
) -> None:
    httpserver.expect_request("/gateway/api/oauth/usage", method="GET").respond_with_json(body)
    base = httpserver.url_for("/gateway/")

    with UsageClient(base_url=base) as client:
        usage = client.fetch(Credentials(access_token=token))

    assert usage.five_hour is not None
    assert only_request(httpserver).path == "/gateway/api/oauth/usage"


# -- success -------------------------------------------------------------------


def test_published_body_parses_into_usage_data(
    api: HTTPServer, token: str, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", token)
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_SCOPES", "user:inference user:profile")
    support.serve(api, body)

    usage = claude_usage.get_usage(backend=EnvBackend())

    assert type(usage) is UsageData
    assert usage.five_hour is not None
    assert usage.five_hour.utilization == 53.0
    assert usage.five_hour.resets_at == datetime(2026, 7, 8, 0, 49, 59, 940321, tzinfo=timezone.utc)
    assert usage.seven_day is not None
    assert usage.seven_day.utilization == 8.0
    assert usage.seven_day.resets_at == datetime(2026, 7, 13, 6, 0, tzinfo=timezone.utc)
    assert usage.seven_day_opus is None
    assert usage.seven_day_sonnet is None
    assert usage.seven_day_oauth_apps is None
    assert set(usage.windows) == {"five_hour", "seven_day"}
    assert [limit.kind for limit in usage.limits] == ["session", "weekly_all", "weekly_scoped"]
    assert [limit.percent for limit in usage.limits] == [53.0, 8.0, 6.0]
    assert usage.limits[2].model == "Fable"
    assert usage.active_limit is not None
    assert usage.active_limit.kind == "session"
    assert usage.extra_usage is not None
    assert usage.extra_usage.is_enabled is False
    assert usage == claude_usage.parse_usage(body)


@pytest.mark.parametrize("name", support.body_names())
def test_every_sample_body_arrives_intact(api: HTTPServer, token: str, name: str) -> None:
    document = support.load_body(name)
    support.serve(api, document)

    usage = claude_usage.get_usage(backend=StaticBackend(Credentials(access_token=token)))

    assert usage == claude_usage.parse_usage(document)
    # Every sample carries something to show (a gateway's has no windows).
    assert usage.windows or usage.limits or usage.extra_usage


def test_non_200_success_status_is_parsed(api: HTTPServer, token: str, body: dict[str, Any]) -> None:
    support.serve(api, body, status=203)
    usage = claude_usage.get_usage(backend=StaticBackend(Credentials(access_token=token)))
    assert usage == claude_usage.parse_usage(body)


def test_gzip_encoded_body_is_decoded(api: HTTPServer, token: str, body: dict[str, Any]) -> None:
    compressed = gzip.compress(json.dumps(body).encode())
    api.expect_request(USAGE_PATH, method="GET").respond_with_data(
        compressed, headers={"Content-Encoding": "gzip"}, content_type="application/json"
    )
    usage = claude_usage.get_usage(backend=StaticBackend(Credentials(access_token=token)))
    assert usage == claude_usage.parse_usage(body)


def test_body_of_exactly_the_size_limit_is_accepted(api: HTTPServer, token: str, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    padded = data + b" " * (MAX_BODY_BYTES - len(data))
    assert len(padded) == MAX_BODY_BYTES
    support.serve(api, padded, headers={"Content-Type": "application/json"})

    usage = claude_usage.get_usage(backend=StaticBackend(Credentials(access_token=token)))

    assert usage == claude_usage.parse_usage(body)


# -- UsageClient --------------------------------------------------------------------


@pytest.mark.parametrize("wrap", [str, SecretToken], ids=["str", "SecretToken"])
def test_fetch_with_credentials(
    api: HTTPServer, token: str, body: dict[str, Any], wrap: type[str] | type[SecretToken]
) -> None:
    support.serve(api, body)
    with UsageClient() as client:
        usage = client.fetch(Credentials(access_token=wrap(token)))
    assert usage == claude_usage.parse_usage(body)
    assert only_request(api).headers["Authorization"] == f"Bearer {token}"


def test_one_client_serves_two_calls_with_the_credentials_of_each(api: HTTPServer, body: dict[str, Any]) -> None:
    first, second = support.make_token(), support.make_token()
    api.expect_request(USAGE_PATH, method="GET").respond_with_json(body)

    with UsageClient() as client:
        one = client.fetch(Credentials(access_token=first))
        two = client.fetch(Credentials(access_token=second))

    assert one == two == claude_usage.parse_usage(body)
    assert [request.headers["Authorization"] for request in requests_seen(api)] == [
        f"Bearer {first}",
        f"Bearer {second}",
    ]


def test_get_usage_with_a_client_uses_that_client(api: HTTPServer, token: str, body: dict[str, Any]) -> None:
    api.expect_request(USAGE_PATH, method="GET").respond_with_json(body)
    backend = StaticBackend(Credentials(access_token=token))

    with UsageClient(user_agent="claude-code/0.0.1 (shared)") as client:
        claude_usage.get_usage(backend=backend, client=client)
        claude_usage.get_usage(backend=backend, client=client, user_agent="ignored/1")

    seen = requests_seen(api)
    assert len(seen) == 2
    assert backend.reads == 2
    assert [request.headers["User-Agent"] for request in seen] == ["claude-code/0.0.1 (shared)"] * 2


def test_client_repr_and_close(api: HTTPServer, token: str, body: dict[str, Any]) -> None:
    api.expect_request(USAGE_PATH, method="GET").respond_with_json(body)
    client = UsageClient(timeout=3)
    assert repr(client) == f"<UsageClient {api.url_for(USAGE_PATH)} timeout=3s>"
    client.fetch(Credentials(access_token=token))
    client.close()
    client.close()  # idempotent
    # A closed client opens a new connection when used again.
    client.fetch(Credentials(access_token=token))
    client.close()
    assert len(requests_seen(api)) == 2
    support.assert_no_token(repr(client), token)


def test_fetch_document_returns_the_body_as_sent(api: HTTPServer, token: str, body: dict[str, Any]) -> None:
    document = {**body, "spend": {"amount": 1.5}, "member_dashboard_available": True}
    support.serve(api, document)

    with UsageClient() as client:
        usage, raw = client.fetch_document(Credentials(access_token=token))

    assert raw == document
    assert usage == claude_usage.parse_usage(document)
    assert only_request(api).headers["Authorization"] == f"Bearer {token}"


@pytest.mark.parametrize(
    "scopes",
    [["user:inference"], [], ["user:inference", "user:sessions:claude_code"], ["user:profiles"]],
    ids=repr,
)
def test_a_token_whose_scopes_lack_user_profile_is_never_sent(
    api: HTTPServer, token: str, scopes: list[str], body: dict[str, Any]
) -> None:
    """Claude Code never asks the endpoint with such a token: a certain 403
    that spends the account's rate-limit budget."""
    support.serve(api, body)
    backend = support.StaticBackend(claude_usage.Credentials(access_token=token, scopes=scopes))
    with pytest.raises(claude_usage.InsufficientScopeError) as caught:
        claude_usage.get_usage(backend)
    assert api.log == []
    error = caught.value
    assert isinstance(error, claude_usage.CredentialsError)
    assert error.missing_scope == "user:profile"
    assert "not sent" in str(error) and "/login" in str(error)
    support.assert_no_token(str(error), token)


def test_a_token_with_unknown_scopes_is_tried(api: HTTPServer, token: str, body: dict[str, Any]) -> None:
    support.serve(api, body)
    backend = support.StaticBackend(claude_usage.Credentials(access_token=token, scopes=None))
    assert claude_usage.get_usage(backend).five_hour is not None
    assert len(api.log) == 1


@pytest.mark.parametrize("scopes", [None, "", "user:inference", "  user:inference\tuser:sessions "])
def test_the_env_token_is_inference_only_unless_its_scopes_say_otherwise(
    api: HTTPServer, token: str, scopes: str | None, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    support.serve(api, body)
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", token)
    if scopes is not None:
        monkeypatch.setenv("CLAUDE_CODE_OAUTH_SCOPES", scopes)
    with pytest.raises(claude_usage.InsufficientScopeError) as caught:
        claude_usage.get_usage()
    assert api.log == []
    text = str(caught.value)
    assert "CLAUDE_CODE_OAUTH_SCOPES='user:inference user:profile'" in text
    assert "unset CLAUDE_CODE_OAUTH_TOKEN" in text
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_SCOPES", "user:inference  user:profile")
    monkeypatch.setenv("CLAUDE_CODE_SUBSCRIPTION_TYPE", "max")
    monkeypatch.setenv("CLAUDE_CODE_RATE_LIMIT_TIER", "default_claude_max_20x")
    credentials = claude_usage.load_credentials()
    assert (credentials.scopes, credentials.subscription_type, credentials.rate_limit_tier) == (
        ("user:inference", "user:profile"),
        "max",
        "default_claude_max_20x",
    )
    assert claude_usage.get_usage().five_hour is not None
    assert len(api.log) == 1

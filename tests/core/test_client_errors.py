"""Every failure of a call is its own typed error with one line of text.

The answers come from a real HTTP server on the loopback interface
(pytest-httpserver); nothing of the code under test is mocked.
"""

from __future__ import annotations

import gzip
import json
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import claude_usage
import support
from claude_usage import (
    ApiError,
    AuthenticationError,
    ClaudeUsageError,
    ConfigurationError,
    CredentialBackend,
    Credentials,
    NetworkError,
    PermissionDeniedError,
    RateLimitError,
    ResponseFormatError,
    ResponseTooLargeError,
    SecretToken,
    ServerError,
    TokenExpiredError,
    UsageClient,
)
from claude_usage.client import MAX_BODY_BYTES, USAGE_PATH

AUTH_BODY = {
    "type": "error",
    "error": {
        "type": "authentication_error",
        "message": "Invalid bearer token",
        "details": {"error_visibility": "user_facing"},
    },
    "request_id": "req_011CVauth",
}
SCOPE_BODY = {
    "type": "error",
    "error": {
        "type": "permission_error",
        "message": "OAuth token does not meet scope requirement user:profile",
        "details": {"error_visibility": "user_facing"},
    },
    "request_id": "req_011CVscope",
}
RATE_BODY = {"error": {"message": "Rate limited. Please try again later.", "type": "rate_limit_error"}}


StaticBackend = support.StaticBackend


def raised(function: Callable[..., object], *args: Any, **kwargs: Any) -> ClaudeUsageError:
    """Call ``function`` and return the ClaudeUsageError it raised.

    Called directly from this frame, so the traceback of the error holds
    this frame and then only what the library added.
    """
    try:
        function(*args, **kwargs)
    except ClaudeUsageError as exc:
        return exc
    raise AssertionError(f"{getattr(function, '__name__', function)} raised nothing")


def usage_error(token: str, **kwargs: Any) -> ClaudeUsageError:
    return raised(claude_usage.get_usage, backend=StaticBackend(Credentials(access_token=token)), **kwargs)


def check_line(error: BaseException, token: str | None = None) -> str:
    """The error's text is one non-empty line without the token, and it
    comes with no chained exception."""
    text = str(error)
    assert text
    assert text == text.strip()
    assert "\n" not in text
    assert "\r" not in text
    assert text.isprintable()
    assert error.__cause__ is None
    assert error.__context__ is None
    if token is not None:
        support.assert_no_token(text, token)
        support.assert_no_token(repr(error), token)
        support.assert_no_token(repr(vars(error)), token)
    return text


def paths_seen(server: HTTPServer) -> list[str]:
    return [request.path for request, _ in server.log]


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- 401 / 403 -----------------------------------------------------------------------


def test_401_is_an_authentication_error(api: HTTPServer, token: str) -> None:
    support.serve(api, AUTH_BODY, status=401)

    error = usage_error(token)

    assert type(error) is AuthenticationError
    assert error.status == 401
    assert error.error_type == "authentication_error"
    assert error.request_id == "req_011CVauth"
    text = check_line(error, token)
    assert "401" in text
    assert "Invalid bearer token" in text
    assert "`claude`" in text
    assert "req_011CVauth" in text


def test_401_without_body(api: HTTPServer, token: str) -> None:
    support.serve(api, "", status=401)
    error = usage_error(token)
    assert type(error) is AuthenticationError
    assert (error.status, error.request_id, error.error_type) == (401, None, None)
    check_line(error, token)


def test_403_for_the_missing_scope_names_the_scope_and_setup_token(
    api: HTTPServer, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from claude_usage.env_backend import EnvBackend

    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", token)
    # Only a token said to have the profile scope is sent at all.
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_SCOPES", "user:inference user:profile")
    support.serve(api, SCOPE_BODY, status=403)

    error = raised(claude_usage.get_usage, backend=EnvBackend())

    assert type(error) is PermissionDeniedError
    assert error.status == 403
    assert error.missing_scope == "user:profile"
    assert error.error_type == "permission_error"
    assert error.request_id == "req_011CVscope"
    text = check_line(error, token)
    assert "setup-token" in text
    assert "CLAUDE_CODE_OAUTH_TOKEN" in text
    assert "user:profile" in text


def test_other_403_has_no_missing_scope(api: HTTPServer, token: str) -> None:
    payload = {"type": "error", "error": {"type": "permission_error", "message": "Organization is disabled"}}
    support.serve(api, payload, status=403)

    error = usage_error(token)

    assert type(error) is PermissionDeniedError
    assert error.status == 403
    assert error.missing_scope is None
    text = check_line(error, token)
    assert "403" in text
    assert "setup-token" not in text
    assert "Organization is disabled" in text
    assert error.error_type == "permission_error"


@pytest.mark.parametrize(
    ("payload", "headers", "expected"),
    [
        ("", {}, None),
        ("<html><body>Forbidden</body></html>", {"Content-Type": "text/html"}, None),
        ({"message": "Forbidden"}, {"Retry-After": "90"}, 90.0),
        ({"error": "denied"}, {"Retry-After": "0"}, 0.0),
    ],
    ids=["empty", "html", "json-without-error-object", "error-not-an-object"],
)
def test_403_from_the_edge_is_rate_limiting(
    api: HTTPServer, token: str, payload: Any, headers: dict[str, str], expected: float | None
) -> None:
    """Claude Code reads a 403 without an Anthropic error body as an edge
    or CDN throttling, not as a verdict on the token."""
    support.serve(api, payload, status=403, headers=headers)

    error = usage_error(token)

    assert type(error) is RateLimitError
    assert error.status == 403
    assert error.retry_after == expected
    text = check_line(error, token)
    assert "403" in text and "not your usage limit" in text
    if expected:
        assert "retry in 90 s" in text


@pytest.mark.parametrize("status", [200, 203])
@pytest.mark.parametrize(("retry_after", "expected"), [("45", 45.0), (None, None)])
def test_success_status_carrying_a_rate_limit_error_is_rate_limiting(
    api: HTTPServer, token: str, status: int, retry_after: str | None, expected: float | None
) -> None:
    headers = {"request-id": "req_inband"} if retry_after is None else {"Retry-After": retry_after}
    support.serve(
        api, {"error": {"type": "rate_limit_error", "message": "Rate limited."}}, status=status, headers=headers
    )

    error = usage_error(token)

    assert type(error) is RateLimitError
    assert error.status == status
    assert error.retry_after == expected
    assert error.error_type == "rate_limit_error"
    text = check_line(error, token)
    assert "temporarily limiting requests (not your usage limit)" in text
    if expected is None:
        assert "req_inband" in text


# -- 429 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("30", 30.0), ("0", 0.0), (None, None), ("2.5", 2.5), ("soon", None), ("3600", 3600.0)],
    ids=["number", "zero", "absent", "fraction", "garbage", "an-hour"],
)
def test_429_is_a_rate_limit_error_with_retry_after(
    api: HTTPServer, token: str, retry_after: str | None, expected: float | None
) -> None:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    support.serve(api, RATE_BODY, status=429, headers=headers)

    error = usage_error(token)

    assert type(error) is RateLimitError
    assert error.status == 429
    assert error.retry_after == expected
    assert error.error_type == "rate_limit_error"
    text = check_line(error, token)
    assert "429" in text
    if expected:
        assert "retry in" in text
    else:
        assert "at least a few minutes" in text


def test_429_retry_after_as_http_date(api: HTTPServer, token: str) -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=120)
    support.serve(api, RATE_BODY, status=429, headers={"Retry-After": format_datetime(when, usegmt=True)})

    error = usage_error(token)

    assert type(error) is RateLimitError
    assert error.retry_after is not None
    assert 100.0 <= error.retry_after <= 121.0
    check_line(error, token)


def test_429_retry_after_as_past_http_date_is_zero(api: HTTPServer, token: str) -> None:
    support.serve(api, RATE_BODY, status=429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    error = usage_error(token)
    assert type(error) is RateLimitError
    assert error.retry_after == 0.0


# -- 5xx, redirects, other statuses ------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_a_server_error(api: HTTPServer, token: str, status: int) -> None:
    support.serve(api, "<html><h1>Bad Gateway</h1></html>", status=status, headers={"Content-Type": "text/html"})

    error = usage_error(token)

    assert type(error) is ServerError
    assert error.status == status
    assert error.request_id is None
    text = check_line(error, token)
    assert str(status) in text
    assert "<html>" not in text


def test_5xx_with_an_anthropic_error_body(api: HTTPServer, token: str) -> None:
    payload = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}, "request_id": "req_5"}
    support.serve(api, payload, status=529)
    error = usage_error(token)
    assert type(error) is ServerError
    assert (error.status, error.error_type, error.request_id) == (529, "overloaded_error", "req_5")
    assert "Overloaded" in check_line(error, token)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_is_an_api_error_and_never_followed(
    api: HTTPServer, token: str, body: dict[str, Any], status: int
) -> None:
    api.expect_request("/elsewhere").respond_with_json(body)
    support.serve(api, "", status=status, headers={"Location": "/elsewhere"})

    error = usage_error(token)

    assert type(error) is ApiError
    assert error.status == status
    text = check_line(error, token)
    assert f"redirected ({status}) to /elsewhere" in text
    assert "CLAUDE_USAGE_BASE_URL" in text
    assert paths_seen(api) == [USAGE_PATH]


def test_redirect_to_another_host_is_not_followed(api: HTTPServer, token: str) -> None:
    target = f"http://127.0.0.1:{closed_port()}/steal"
    support.serve(api, "", status=302, headers={"Location": target})

    error = usage_error(token)

    assert type(error) is ApiError
    assert error.status == 302
    assert target in check_line(error, token)
    assert paths_seen(api) == [USAGE_PATH]


@pytest.mark.parametrize("status", [400, 404, 405, 418, 451])
def test_other_status_is_a_plain_api_error(api: HTTPServer, token: str, status: int) -> None:
    support.serve(api, "nothing here", status=status)

    error = usage_error(token)

    assert type(error) is ApiError
    assert error.status == status
    assert error.request_id is None
    assert error.error_type is None
    assert f"answered {status}" in check_line(error, token)


# -- request ids and what the server says --------------------------------------------


@pytest.mark.parametrize(
    ("payload", "headers", "expected"),
    [
        ({"error": {"type": "not_found_error", "message": "x"}, "request_id": "req_body"}, {}, "req_body"),
        ("not json", {"request-id": "req_header"}, "req_header"),
        ({"error": {"type": "t", "message": "m"}}, {"request-id": "req_header"}, "req_header"),
        ({"error": {"type": "t", "message": "m"}, "request_id": "req_body"}, {"request-id": "req_header"}, "req_body"),
        ({"error": {"type": "t", "message": "m"}}, {}, None),
        ({"request_id": 12345}, {}, None),
    ],
    ids=["body", "header", "header-json-body", "body-wins", "none", "not-a-string"],
)
def test_request_id_reaches_the_error(
    api: HTTPServer, token: str, payload: Any, headers: dict[str, str], expected: str | None
) -> None:
    support.serve(api, payload, status=404, headers=headers)

    error = usage_error(token)

    assert isinstance(error, ApiError)
    assert error.request_id == expected
    text = check_line(error, token)
    if expected is not None:
        assert f"[request {expected}]" in text


@pytest.mark.parametrize("status", [401, 403, 404, 500])
def test_request_id_from_the_header_on_every_status(api: HTTPServer, token: str, status: int) -> None:
    support.serve(api, "", status=status, headers={"request-id": "req_011CVhdr"})
    error = usage_error(token)
    assert isinstance(error, ApiError)
    assert error.request_id == "req_011CVhdr"


def test_server_text_is_flattened_to_one_printable_line(api: HTTPServer, token: str) -> None:
    payload = {
        "error": {"type": "authentication_error", "message": "line one\nline two\r\n\tthree\x1b[31m red"},
        "request_id": "req_\nbroken\x07",
    }
    support.serve(api, payload, status=401)

    error = usage_error(token)

    assert isinstance(error, AuthenticationError)
    text = check_line(error, token)
    assert "line one line two three" in text
    assert "\x1b" not in text
    assert error.request_id == "req_broken"


def test_server_echo_of_the_token_is_withheld(api: HTTPServer, token: str) -> None:
    payload = {
        "error": {"type": "authentication_error", "message": f"Invalid bearer token {token[:30]}"},
        "request_id": f"req_{token[20:40]}",
    }
    support.serve(api, payload, status=401, headers={"request-id": token})

    error = usage_error(token)

    assert isinstance(error, AuthenticationError)
    text = check_line(error, token)
    assert "withheld" in text
    assert error.request_id is not None
    assert "withheld" in error.request_id


def test_redirect_location_holding_the_token_is_withheld(api: HTTPServer, token: str) -> None:
    support.serve(api, "", status=302, headers={"Location": f"/login?t={token}"})
    error = usage_error(token)
    assert type(error) is ApiError
    assert "withheld" in check_line(error, token)


# -- bodies that are not usage ---------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "content_type", "phrase"),
    [
        (b"<!DOCTYPE html><html><body>Sign in to the Wi-Fi</body></html>", "text/html", "HTML"),
        (b"<html>proxy</html>", "application/json", "HTML"),
        (b'{"five_hour": null}', "text/html; charset=utf-8", "HTML"),
        (b"", "application/json", "empty"),
        (b"  \r\n\t ", "application/json", "empty"),
        (b'{"five_hour": {"utilization": 53.0, "resets_at": "2026-07-08T00:4', "application/json", "truncated"),
        (b"[]", "application/json", "expected a JSON object"),
        (b'[{"five_hour": {"utilization": 1}}]', "application/json", "expected a JSON object"),
        (b"{}", "application/json", "none of"),
        (b'"usage"', "application/json", "expected a JSON object"),
        (b"null", "application/json", "expected a JSON object"),
        (b"42", "application/json", "expected a JSON object"),
        (b"\xff\xfe\x00garbage", "application/json", "not valid"),
        (b'{"error": {"type": "overloaded_error", "message": "busy"}}', "application/json", "with an error"),
        (b'{"error": "boom"}', "application/json", "none of"),
        (b'{"spend": {"amount": 1}, "tangelo": {"is_enabled": false}}', "application/json", "none of"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", ""),
        (b"NaN", "application/json", ""),
    ],
    ids=[
        "html",
        "html-labelled-json",
        "html-content-type",
        "empty",
        "blank",
        "truncated",
        "list",
        "list-of-object",
        "empty-object",
        "string",
        "null",
        "number",
        "not-utf8",
        "error-envelope",
        "error-not-an-object",
        "no-usage-key",
        "deeply-nested",
        "nan",
    ],
)
def test_success_status_with_a_body_that_is_not_usage(
    api: HTTPServer, token: str, payload: bytes, content_type: str, phrase: str
) -> None:
    api.expect_request(USAGE_PATH, method="GET").respond_with_data(payload, content_type=content_type)

    error = usage_error(token)

    assert type(error) is ResponseFormatError
    assert phrase in check_line(error, token)


def test_body_over_the_limit_with_content_length(api: HTTPServer, token: str) -> None:
    oversized = b'{"five_hour": null, "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    support.serve(api, oversized, headers={"Content-Type": "application/json"})

    error = usage_error(token)

    assert type(error) is ResponseTooLargeError
    assert isinstance(error, ResponseFormatError)
    text = check_line(error, token)
    assert str(len(oversized)) in text
    assert str(MAX_BODY_BYTES) in text


def test_body_one_byte_over_the_limit(api: HTTPServer, token: str) -> None:
    support.serve(api, b" " * (MAX_BODY_BYTES + 1), headers={"Content-Type": "application/json"})
    error = usage_error(token)
    assert type(error) is ResponseTooLargeError


def test_compressed_body_over_the_limit_is_stopped(api: HTTPServer, token: str) -> None:
    bomb = gzip.compress(b" " * (16 * MAX_BODY_BYTES))
    assert len(bomb) < MAX_BODY_BYTES // 10
    api.expect_request(USAGE_PATH, method="GET").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="application/json"
    )

    error = usage_error(token)

    assert type(error) is ResponseTooLargeError
    assert "reading stopped" in check_line(error, token)


def test_error_status_with_an_oversized_body_is_too_large(api: HTTPServer, token: str) -> None:
    support.serve(api, b"x" * (MAX_BODY_BYTES + 10), status=500)
    error = usage_error(token)
    assert type(error) is ResponseTooLargeError


# -- one attempt per call ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(500, ServerError), (502, ServerError), (503, ServerError), (429, RateLimitError), (401, AuthenticationError)],
)
def test_one_request_per_call_no_retry(api: HTTPServer, token: str, status: int, error_type: type[ApiError]) -> None:
    api.expect_request(USAGE_PATH, method="GET").respond_with_json(
        {"error": {"type": "x", "message": "y"}}, status=status, headers={"Retry-After": "0"}
    )

    error = usage_error(token)
    time.sleep(0.1)  # a delayed retry would land here

    assert type(error) is error_type
    assert paths_seen(api) == [USAGE_PATH]


def test_one_request_per_call_with_a_reused_client(api: HTTPServer, token: str) -> None:
    api.expect_request(USAGE_PATH, method="GET").respond_with_data("", status=503)
    with UsageClient() as client:
        for expected in (1, 2):
            error = raised(client.fetch, Credentials(access_token=token))
            assert type(error) is ServerError
            assert len(api.log) == expected


# -- expired tokens ------------------------------------------------------------------


def test_expired_token_raises_without_any_request(api: HTTPServer, token: str) -> None:
    stored = json.dumps(support.credentials_blob(token, expires_at_ms=support.PAST_MS))
    credentials = claude_usage.parse_claude_code_credentials(stored, source="test blob")
    assert credentials.expires_at is not None
    api.expect_request(USAGE_PATH).respond_with_json(support.load_body("published_domain_2026_07.json"))

    error = raised(claude_usage.get_usage, backend=StaticBackend(credentials))

    assert type(error) is TokenExpiredError
    text = check_line(error, token)
    assert "2020-09-13" in text
    assert "`claude`" in text
    assert api.log == []


def test_expired_token_through_the_client(api: HTTPServer, token: str) -> None:
    credentials = Credentials(access_token=token, expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    with UsageClient() as client:
        error = raised(client.fetch, credentials)
    assert type(error) is TokenExpiredError
    check_line(error, token)
    assert api.log == []


def test_token_expiring_later_is_sent(api: HTTPServer, token: str, body: dict[str, Any]) -> None:
    support.serve(api, body)
    credentials = Credentials(access_token=token, expires_at=datetime.now(timezone.utc) + timedelta(minutes=5))
    usage = claude_usage.get_usage(backend=StaticBackend(credentials))
    assert usage == claude_usage.parse_usage(body)
    assert len(api.log) == 1


# -- what an error carries: one frame, no chain -----------------------------------------


def _scenario(name: str, api: HTTPServer, monkeypatch: pytest.MonkeyPatch, token: str) -> Credentials:
    credentials = Credentials(access_token=token)
    if name == "401":
        support.serve(api, AUTH_BODY, status=401)
    elif name == "403":
        support.serve(api, SCOPE_BODY, status=403)
    elif name == "429":
        support.serve(api, RATE_BODY, status=429, headers={"Retry-After": "30"})
    elif name == "500":
        support.serve(api, "", status=500)
    elif name == "302":
        support.serve(api, "", status=302, headers={"Location": "/elsewhere"})
    elif name == "html":
        support.serve(api, "<html></html>", headers={"Content-Type": "text/html"})
    elif name == "truncated":
        support.serve(api, b'{"five_hour": {', headers={"Content-Type": "application/json"})
    elif name == "wrong-shape":
        support.serve(api, {"fivehour": {"utilization": "x"}})
    elif name == "too-large":
        support.serve(api, b" " * (MAX_BODY_BYTES + 1), headers={"Content-Type": "application/json"})
    elif name == "refused":
        monkeypatch.setenv("CLAUDE_USAGE_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    elif name == "config":
        monkeypatch.setenv("CLAUDE_USAGE_BASE_URL", "http://example.com")
    elif name == "expired":
        credentials = Credentials(access_token=token, expires_at=datetime(2020, 1, 1, tzinfo=timezone.utc))
    else:  # pragma: no cover
        raise AssertionError(name)
    return credentials


SCENARIOS = [
    "401", "403", "429", "500", "302", "html", "truncated", "wrong-shape", "too-large", "refused", "config", "expired",
]  # fmt: skip


def _frames_below_catcher(error: BaseException) -> list[Any]:
    tb = error.__traceback__
    assert tb is not None
    assert tb.tb_frame.f_code is raised.__code__, "the first frame is the catcher's"
    frames = []
    tb = tb.tb_next
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def _assert_frame_holds_no_secret(frame: Any, token: str) -> None:
    for value in frame.f_locals.values():
        assert not isinstance(value, (Credentials, SecretToken, CredentialBackend, UsageClient))
    support.assert_no_token(repr(frame.f_locals), token)


@pytest.mark.parametrize("name", SCENARIOS)
def test_get_usage_errors_carry_one_frame_and_no_chain(
    api: HTTPServer, token: str, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    credentials = _scenario(name, api, monkeypatch, token)

    error = raised(claude_usage.get_usage, backend=StaticBackend(credentials))

    assert error.__context__ is None
    assert error.__cause__ is None
    assert error.__suppress_context__ is True
    frames = _frames_below_catcher(error)
    assert len(frames) == 1, [frame.f_code.co_name for frame in frames]
    assert frames[0].f_code.co_name == "wrapper"
    assert Path(frames[0].f_code.co_filename).name == "_frames.py"
    _assert_frame_holds_no_secret(frames[0], token)
    check_line(error, token)


@pytest.mark.parametrize("method", ["fetch", "fetch_document"])
@pytest.mark.parametrize("name", [name for name in SCENARIOS if name != "config"])
def test_fetch_errors_carry_one_frame_and_no_chain(
    api: HTTPServer, token: str, monkeypatch: pytest.MonkeyPatch, name: str, method: str
) -> None:
    credentials = _scenario(name, api, monkeypatch, token)

    with UsageClient() as client:
        error = raised(getattr(client, method), credentials)

    assert error.__context__ is None
    assert error.__cause__ is None
    frames = _frames_below_catcher(error)
    assert [frame.f_code.co_name for frame in frames] == ["wrapper"]
    _assert_frame_holds_no_secret(frames[0], token)


# -- configuration errors come before anything else -----------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CLAUDE_USAGE_BASE_URL", "http://example.com"),
        ("CLAUDE_USAGE_TIMEOUT", "abc"),
        ("CLAUDE_USAGE_USER_AGENT", "claude-code/1\r\nX-Injected: 1"),
        ("CLAUDE_USAGE_CA_BUNDLE", "/nonexistent/ca.pem"),
    ],
)
def test_configuration_error_before_credentials_or_request(
    api: HTTPServer, token: str, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    backend = StaticBackend(Credentials(access_token=token))

    error = raised(claude_usage.get_usage, backend=backend)

    assert type(error) is ConfigurationError
    check_line(error, token)
    assert backend.reads == 0
    assert api.log == []


def test_network_error_for_refused_connection_via_get_usage(token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    monkeypatch.setenv("CLAUDE_USAGE_BASE_URL", f"http://127.0.0.1:{port}")

    error = usage_error(token)

    assert type(error) is NetworkError
    text = check_line(error, token)
    assert f"127.0.0.1:{port}" in text
    assert "connection refused" in text

"""The token is used for one request and dropped, on every path.

For success and for every error ``get_usage`` can raise, with every logger at
DEBUG and a hostile server that echoes the Authorization header back in its
error bodies, these tests prove that afterwards:

* no gc-tracked object holds the token (or a ``SecretToken`` of it);
* it appears in no message, ``repr``, formatted traceback or log record;
* the error has no chained exception and its traceback frames hold nothing
  that contains it.
"""

from __future__ import annotations

import gc
import json
import logging
import socket
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import claude_usage
import support
from claude_usage import CredentialBackend, Credentials, parse_claude_code_credentials
from claude_usage._secret import SecretToken


class StoreBackend(CredentialBackend):
    """Reads Claude Code's JSON from a file, like the real file backend, so
    the token's only copy before the call is on disk."""

    name = "store"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def priority(self) -> float:
        return 1.0

    def read_credentials(self) -> Credentials:
        return parse_claude_code_credentials(self.path.read_bytes(), source=str(self.path))


def _echo_handler(status: int, headers: dict[str, str] | None = None) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        echoed = request.headers.get("Authorization", "")
        body = {
            "type": "error",
            "error": {"type": "authentication_error", "message": f"bad header {echoed}"},
            "request_id": f"req_{echoed[-20:]}",
        }
        return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")

    return handler


Arrange = Callable[[HTTPServer, pytest.MonkeyPatch], None]


def _serve(status: int, payload: Any, headers: dict[str, str] | None = None) -> Arrange:
    def arrange(server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
        support.serve(server, payload, status=status, headers=headers)

    return arrange


def _echo(status: int, headers: dict[str, str] | None = None) -> Arrange:
    def arrange(server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
        server.expect_request("/api/oauth/usage").respond_with_handler(_echo_handler(status, headers))

    return arrange


def _refused(server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("CLAUDE_USAGE_BASE_URL", f"http://127.0.0.1:{port}")


def _silent(server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    monkeypatch.setenv("CLAUDE_USAGE_BASE_URL", f"http://127.0.0.1:{listener.getsockname()[1]}")
    monkeypatch.setenv("CLAUDE_USAGE_TIMEOUT", "0.3")
    _keep.append(listener)


def _nothing(server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    pass


_keep: list[socket.socket] = []

CASES: dict[str, tuple[Arrange, type[BaseException] | None]] = {
    "success": (_serve(200, support.load_body("published_domain_2026_07.json")), None),
    "401 echoing the header": (_echo(401), claude_usage.AuthenticationError),
    "403 echoing the header": (_echo(403), claude_usage.PermissionDeniedError),
    "429 echoing the header": (_echo(429, {"Retry-After": "60"}), claude_usage.RateLimitError),
    "500 echoing the header": (_echo(500), claude_usage.ServerError),
    "302 redirect": (_serve(302, "", {"Location": "https://elsewhere.example/steal"}), claude_usage.ApiError),
    "html": (_serve(200, "<html><body>captive portal</body></html>"), claude_usage.ResponseFormatError),
    "truncated json": (_serve(200, '{"five_hour": {"utilization": 5'), claude_usage.ResponseFormatError),
    "wrong shape": (_serve(200, [1, 2, 3]), claude_usage.ResponseFormatError),
    "connection refused": (_refused, claude_usage.NetworkError),
    "timeout": (_silent, claude_usage.NetworkTimeoutError),
    "expired token": (_nothing, claude_usage.TokenExpiredError),
}


@pytest.fixture(autouse=True)
def _close_sockets() -> Iterator[None]:
    yield
    while _keep:
        _keep.pop().close()


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("claude_usage", "urllib3", "requests", ""):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _server_owned() -> set[int]:
    """Ids of the loopback server's own request and response objects (and
    what they directly hold): the server did receive the token, and echoed
    it, so its memory is not ours to judge."""
    owned: set[int] = set()
    for obj in gc.get_objects():
        if isinstance(obj, (Request, Response)) or (isinstance(obj, dict) and "wsgi.version" in obj):
            owned.add(id(obj))
            owned.update(id(value) for value in gc.get_referents(obj))
            if hasattr(obj, "__dict__"):
                owned.update(id(value) for value in vars(obj).values())
    return owned


def _holders(token: str) -> list[str]:
    """Types of gc-tracked objects that still hold the token in any form."""
    wanted = SecretToken(token)
    owned = _server_owned()
    found: list[str] = []
    for obj in gc.get_objects():
        if isinstance(obj, SecretToken):
            if obj is not wanted and obj == wanted:
                found.append("SecretToken")
            continue
        if id(obj) in owned:
            continue
        try:
            referents = gc.get_referents(obj)
        except Exception:
            continue
        for value in referents:
            if value is token:
                continue  # the test's own copy, held by pytest's fixture machinery
            if (isinstance(value, str) and token in value) or (
                isinstance(value, (bytes, bytearray)) and token.encode() in value
            ):
                found.append(type(obj).__name__)
    return found


def _frame_values(error: BaseException) -> list[Any]:
    """Locals of every frame the traceback holds below the test's own."""
    values: list[Any] = []
    tb = error.__traceback__
    tb = tb.tb_next if tb is not None else None  # the first frame is the test function
    while tb is not None:
        values.extend(tb.tb_frame.f_locals.values())
        tb = tb.tb_next
    return values


@pytest.mark.parametrize("case", list(CASES))
def test_token_leaves_no_trace(
    case: str,
    token: str,
    tmp_path: Path,
    api: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    debug_logging: pytest.LogCaptureFixture,
) -> None:
    arrange, expected = CASES[case]
    expires = support.PAST_MS if case == "expired token" else support.FAR_FUTURE_MS
    store = tmp_path / "store.json"
    store.write_text(json.dumps(support.credentials_blob(token, expires_at_ms=expires)))
    arrange(api, monkeypatch)

    result: claude_usage.UsageData | None = None
    error: BaseException | None = None
    try:
        result = claude_usage.get_usage(StoreBackend(store))
    except claude_usage.ClaudeUsageError as exc:
        error = exc

    if expected is None:
        assert error is None, f"unexpected {error!r}"
        assert isinstance(result, claude_usage.UsageData)
    else:
        assert isinstance(error, expected), f"expected {expected.__name__}, got {error!r}"
    # The server did receive the token (so the scan below is meaningful).
    for request, _ in api.log:
        assert request.headers["Authorization"] == f"Bearer {token}"
    api.clear_log()

    if error is not None:
        assert error.__context__ is None
        assert error.__cause__ is None
        texts = [str(error), repr(error), "".join(traceback.format_exception(error)), repr(vars(error))]
        for text in texts:
            support.assert_no_token(text, token)
        assert "\n" not in str(error)
        frames = 0
        tb = error.__traceback__
        while tb is not None:
            frames += 1
            tb = tb.tb_next
        assert frames <= 2, "the traceback reaches frames below the public entry point"
        for value in _frame_values(error):
            assert not isinstance(value, (SecretToken, Credentials))
            if isinstance(value, (str, bytes)):
                support.assert_no_token(value, token)

    for record in debug_logging.records:
        support.assert_no_token(record.getMessage(), token)
        support.assert_no_token(repr(record.args), token)
    support.assert_no_token(debug_logging.text, token)

    store.unlink()
    del result
    gc.collect()
    # `error` is still alive here on purpose: it must hold nothing either.
    assert _holders(token) == [], f"still holding the token: {_holders(token)}"
    del error


def test_usage_client_reuse_keeps_no_token(token: str, tmp_path: Path, api: HTTPServer) -> None:
    """A long-lived client (watch, exporters) keeps its connection, not the token."""
    store = tmp_path / "store.json"
    store.write_text(json.dumps(support.credentials_blob(token)))
    body = support.load_body("published_domain_2026_07.json")
    api.expect_request("/api/oauth/usage").respond_with_json(body)
    client = claude_usage.UsageClient()
    for _ in range(3):
        claude_usage.get_usage(StoreBackend(store), client=client)
    assert len(api.log) == 3
    api.clear_log()
    store.unlink()
    gc.collect()
    assert _holders(token) == []
    assert "Bearer" not in repr(vars(client))
    client.close()

"""Transport faults, connection reuse and proxies, against real sockets.

Faults that an HTTP server library cannot produce (an answer that never
comes, a reset in the middle of a body, a body that never ends) come from a
tiny threaded socket server defined here, on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import claude_usage
import support
from claude_usage import (
    ApiError,
    ClaudeUsageError,
    Credentials,
    NetworkError,
    NetworkTimeoutError,
    ResponseFormatError,
    ResponseTooLargeError,
    UsageClient,
)
from claude_usage.client import MAX_BODY_BYTES, USAGE_PATH

BODY: bytes = json.dumps(support.load_body("published_domain_2026_07.json")).encode()


StaticBackend = support.StaticBackend


# -- a raw socket server ---------------------------------------------------------------

Handler = Callable[[socket.socket, "RawServer"], None]


class RawServer:
    """Accepts connections on 127.0.0.1 and runs ``handler`` on each, in a
    thread. Counts connections and records every request head it reads."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.05)
        self.port: int = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self.requests: list[bytes] = []
        self.sent = 0
        self.stopping = threading.Event()
        self.handlers_done = threading.Event()
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self.connections += 1
                self._open.append(conn)
            thread = threading.Thread(target=self._run, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self.handler(conn, self)
        except OSError:
            pass
        finally:
            conn.close()
            self.handlers_done.set()

    def read_request(self, conn: socket.socket) -> bytes | None:
        """The request head (up to the blank line), or None at EOF."""
        data = b""
        while b"\r\n\r\n" not in data:
            ready, _, _ = select.select([conn], [], [], 0.05)
            if self.stopping.is_set():
                return None
            if not ready:
                continue
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0]
        with self._lock:
            self.requests.append(head)
        return head

    def send(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)
        with self._lock:
            self.sent += len(data)

    def idle(self, seconds: float) -> None:
        """Wait, but give up as soon as the server is being stopped."""
        self.stopping.wait(seconds)

    def close(self) -> None:
        self.stopping.set()
        self._acceptor.join(2)
        with self._lock:
            for conn in self._open:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(2)
        self.listener.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Handler], RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Handler) -> RawServer:
        server = RawServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def head(status: str = "200 OK", **headers: str | int) -> bytes:
    lines = [f"HTTP/1.1 {status}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def keep_alive_handler(conn: socket.socket, server: RawServer) -> None:
    """Answers every request on the connection with the usage body."""
    while server.read_request(conn) is not None:
        server.send(conn, head(Content_Type="application/json", Content_Length=len(BODY)) + BODY)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def fetch(url: str, token: str, **kwargs: Any) -> Any:
    with UsageClient(base_url=url, **kwargs) as client:
        return client.fetch(Credentials(access_token=token))


def fetch_error(url: str, token: str, **kwargs: Any) -> ClaudeUsageError:
    with pytest.raises(ClaudeUsageError) as caught:
        fetch(url, token, **kwargs)
    error = caught.value
    text = str(error)
    assert text
    assert "\n" not in text
    assert error.__context__ is None
    assert error.__cause__ is None
    support.assert_no_token(text, token)
    return error


# -- connections ---------------------------------------------------------------------


def test_one_client_reuses_its_connection(raw_server: Callable[[Handler], RawServer], token: str) -> None:
    server = raw_server(keep_alive_handler)

    with UsageClient(base_url=server.url) as client:
        first = client.fetch(Credentials(access_token=token))
        second = client.fetch(Credentials(access_token=token))

    assert first == second == claude_usage.parse_usage(json.loads(BODY))
    assert len(server.requests) == 2
    assert all(request.startswith(b"GET /api/oauth/usage HTTP/1.1\r\n") for request in server.requests)
    assert server.connections == 1


def test_get_usage_with_a_shared_client_reuses_the_connection(
    raw_server: Callable[[Handler], RawServer], token: str
) -> None:
    server = raw_server(keep_alive_handler)
    backend = StaticBackend(Credentials(access_token=token))

    with UsageClient(base_url=server.url) as client:
        for _ in range(3):
            claude_usage.get_usage(backend=backend, client=client)

    assert len(server.requests) == 3
    assert server.connections == 1


def test_get_usage_without_a_client_closes_its_connection(
    raw_server: Callable[[Handler], RawServer], token: str
) -> None:
    server = raw_server(keep_alive_handler)
    backend = StaticBackend(Credentials(access_token=token))

    claude_usage.get_usage(backend=backend, base_url=server.url)
    claude_usage.get_usage(backend=backend, base_url=server.url)

    assert len(server.requests) == 2
    assert server.connections == 2
    # Each connection was closed by the client: the handlers saw EOF and ended.
    assert server.handlers_done.wait(2)


def test_close_drops_the_connection(raw_server: Callable[[Handler], RawServer], token: str) -> None:
    server = raw_server(keep_alive_handler)
    client = UsageClient(base_url=server.url)
    client.fetch(Credentials(access_token=token))
    client.close()
    client.fetch(Credentials(access_token=token))
    client.close()
    assert server.connections == 2


def test_a_connection_the_server_closed_is_replaced(raw_server: Callable[[Handler], RawServer], token: str) -> None:
    def close_after_answer(conn: socket.socket, server: RawServer) -> None:
        if server.read_request(conn) is not None:
            server.send(
                conn, head(Content_Type="application/json", Content_Length=len(BODY), Connection="close") + BODY
            )

    server = raw_server(close_after_answer)
    with UsageClient(base_url=server.url) as client:
        client.fetch(Credentials(access_token=token))
        client.fetch(Credentials(access_token=token))
    assert server.connections == 2
    assert len(server.requests) == 2


# -- transport failures ----------------------------------------------------------------


def test_connection_refused(token: str) -> None:
    port = closed_port()
    error = fetch_error(f"http://127.0.0.1:{port}", token)
    assert type(error) is NetworkError
    assert isinstance(error, ConnectionError)
    assert str(error) == f"could not connect to 127.0.0.1:{port} (connection refused)"


def test_server_closes_without_answering(raw_server: Callable[[Handler], RawServer], token: str) -> None:
    def hang_up(conn: socket.socket, server: RawServer) -> None:
        server.read_request(conn)

    server = raw_server(hang_up)
    error = fetch_error(server.url, token)
    assert type(error) is NetworkError
    assert "closed the connection without answering" in str(error)
    assert server.connections == 1
    assert len(server.requests) == 1


def silent(conn: socket.socket, server: RawServer) -> None:
    server.read_request(conn)
    server.idle(30)


def test_server_that_never_answers_times_out(raw_server: Callable[[Handler], RawServer], token: str) -> None:
    server = raw_server(silent)

    started = time.monotonic()
    error = fetch_error(server.url, token, timeout=0.5)
    elapsed = time.monotonic() - started

    assert type(error) is NetworkTimeoutError
    assert isinstance(error, NetworkError)
    assert isinstance(error, TimeoutError)
    assert str(error) == f"127.0.0.1:{server.port} did not answer within 0.5 s"
    assert 0.4 <= elapsed < 5
    assert server.connections == 1


def test_timeout_from_the_environment(
    raw_server: Callable[[Handler], RawServer], token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = raw_server(silent)
    monkeypatch.setenv("CLAUDE_USAGE_TIMEOUT", "0.5")

    started = time.monotonic()
    error = fetch_error(server.url, token)

    assert type(error) is NetworkTimeoutError
    assert "within 0.5 s" in str(error)
    assert time.monotonic() - started < 5


def test_timeout_argument_beats_the_environment(
    raw_server: Callable[[Handler], RawServer], token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = raw_server(silent)
    monkeypatch.setenv("CLAUDE_USAGE_TIMEOUT", "30")
    backend = StaticBackend(Credentials(access_token=token))

    started = time.monotonic()
    with pytest.raises(NetworkTimeoutError, match=r"within 0\.5 s"):
        claude_usage.get_usage(backend=backend, base_url=server.url, timeout=0.5)
    assert time.monotonic() - started < 5


def test_reset_in_the_middle_of_the_body(raw_server: Callable[[Handler], RawServer], token: str) -> None:
    def reset(conn: socket.socket, server: RawServer) -> None:
        server.read_request(conn)
        server.send(conn, head(Content_Type="application/json", Content_Length=len(BODY)) + BODY[:50])
        server.idle(0.3)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST

    server = raw_server(reset)
    started = time.monotonic()
    error = fetch_error(server.url, token, timeout=5)

    assert type(error) is NetworkError
    assert "connection reset" in str(error)
    assert time.monotonic() - started < 2


def test_connection_closed_in_the_middle_of_the_body(raw_server: Callable[[Handler], RawServer], token: str) -> None:
    def cut(conn: socket.socket, server: RawServer) -> None:
        server.read_request(conn)
        server.send(conn, head(Content_Type="application/json", Content_Length=len(BODY)) + BODY[:50])

    server = raw_server(cut)
    error = fetch_error(server.url, token)
    assert type(error) is NetworkError
    assert "closed before the whole answer arrived" in str(error)


def test_garbled_chunked_encoding(raw_server: Callable[[Handler], RawServer], token: str) -> None:
    def garbled(conn: socket.socket, server: RawServer) -> None:
        server.read_request(conn)
        server.send(conn, head(Content_Type="application/json", Transfer_Encoding="chunked") + b"zz\r\n{}\r\n")

    server = raw_server(garbled)
    error = fetch_error(server.url, token)
    assert type(error) is NetworkError
    assert "cut short or garbled" in str(error)


def test_body_stopping_midway_times_out(raw_server: Callable[[Handler], RawServer], token: str) -> None:
    def stall(conn: socket.socket, server: RawServer) -> None:
        server.read_request(conn)
        server.send(conn, head(Content_Type="application/json", Content_Length=len(BODY)) + BODY[:50])
        server.idle(30)

    server = raw_server(stall)
    started = time.monotonic()
    error = fetch_error(server.url, token, timeout=0.5)
    assert type(error) is NetworkTimeoutError
    assert "stopped sending" in str(error)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_trickling_body_is_cut_at_the_deadline(
    raw_server: Callable[[Handler], RawServer], token: str, chunked: bool
) -> None:
    """A server that sends a byte now and then, always within the per-read
    timeout, must not hold the client much beyond the overall timeout."""

    def trickle(conn: socket.socket, server: RawServer) -> None:
        server.read_request(conn)
        if chunked:
            server.send(conn, head(Content_Type="application/json", Transfer_Encoding="chunked"))
        else:
            server.send(conn, head(Content_Type="application/json", Content_Length=len(BODY)))
        for byte in BODY:
            piece = bytes([byte])
            server.send(conn, b"1\r\n" + piece + b"\r\n" if chunked else piece)
            server.idle(0.1)
            if server.stopping.is_set():
                return

    server = raw_server(trickle)
    started = time.monotonic()
    error = fetch_error(server.url, token, timeout=0.5)
    elapsed = time.monotonic() - started

    assert type(error) is NetworkTimeoutError
    assert "did not send its whole answer within 0.5 s" in str(error)
    assert elapsed < 2.0


# -- bodies too large, without Content-Length ------------------------------------------------

ENDLESS = 64 * MAX_BODY_BYTES


def endless_chunked(conn: socket.socket, server: RawServer) -> None:
    server.read_request(conn)
    server.send(conn, head(Content_Type="application/json", Transfer_Encoding="chunked"))
    piece = b" " * 65536
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    while server.sent < ENDLESS and not server.stopping.is_set():
        server.send(conn, frame)
    server.send(conn, b"0\r\n\r\n")


def endless_until_close(conn: socket.socket, server: RawServer) -> None:
    server.read_request(conn)
    server.send(conn, b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n")
    piece = b" " * 65536
    while server.sent < ENDLESS and not server.stopping.is_set():
        server.send(conn, piece)


@pytest.mark.parametrize("handler", [endless_chunked, endless_until_close], ids=["chunked", "until-close"])
def test_body_over_the_limit_without_content_length(
    raw_server: Callable[[Handler], RawServer], token: str, handler: Handler
) -> None:
    server = raw_server(handler)

    started = time.monotonic()
    error = fetch_error(server.url, token)

    assert type(error) is ResponseTooLargeError
    assert isinstance(error, ResponseFormatError)
    assert "exceeded the 1048576 byte limit; reading stopped" in str(error)
    assert time.monotonic() - started < 2
    # The client hung up: the server could not send its endless body.
    assert server.handlers_done.wait(2)
    assert server.sent < ENDLESS // 2


def test_declared_length_over_the_limit_is_not_read(raw_server: Callable[[Handler], RawServer], token: str) -> None:
    def announce(conn: socket.socket, server: RawServer) -> None:
        server.read_request(conn)
        server.send(conn, head(Content_Type="application/json", Content_Length=MAX_BODY_BYTES + 1) + b"{")
        server.idle(30)  # the rest never comes: reading it would time out

    server = raw_server(announce)
    started = time.monotonic()
    error = fetch_error(server.url, token, timeout=3)

    assert type(error) is ResponseTooLargeError
    assert str(error) == (
        f"the response from 127.0.0.1:{server.port} is {MAX_BODY_BYTES + 1} bytes, "
        f"over the {MAX_BODY_BYTES} byte limit; not read"
    )
    assert time.monotonic() - started < 1


# -- proxies from the environment ------------------------------------------------------------


def test_http_proxy_from_the_environment_is_used(
    httpserver: HTTPServer, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For an http:// target the client sends the absolute URL to the proxy.

    Nothing listens on the target port, so only the proxy can answer."""
    proxy = httpserver
    target = f"127.0.0.1:{closed_port()}"
    proxy.expect_request(USAGE_PATH, method="GET").respond_with_data(BODY, content_type="application/json")
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url_for("/").rstrip("/"))

    usage = fetch(f"http://{target}", token)

    assert usage == claude_usage.parse_usage(json.loads(BODY))
    assert len(proxy.log) == 1
    request = proxy.log[0][0]
    assert request.headers["Host"] == target
    assert request.headers["Authorization"] == f"Bearer {token}"
    assert request.path == USAGE_PATH


def test_no_proxy_is_honoured(
    raw_server: Callable[[Handler], RawServer], token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = raw_server(keep_alive_handler)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")  # would fail if used
    # conftest sets NO_PROXY=127.0.0.1,localhost

    fetch(server.url, token)

    assert server.requests[0].startswith(b"GET /api/oauth/usage HTTP/1.1\r\n")


def test_unreachable_proxy_is_a_network_error(token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")

    error = fetch_error(f"http://127.0.0.1:{closed_port()}", token)

    assert type(error) is NetworkError
    assert "proxy" in str(error)
    assert "HTTPS_PROXY / NO_PROXY" in str(error)


def test_redirect_body_is_not_read(api: HTTPServer, token: str) -> None:
    """A 3xx with an endless body is an ApiError at once: its body is never
    read (requests' Session.send would read it all to find the next hop)."""
    sent: list[int] = []

    def endless(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            for _ in range(4000):  # 256 MB if anyone read it all
                sent.append(1)
                yield b"x" * 65536

        return Response(chunks(), status=302, headers={"Location": "https://elsewhere.example/"})

    api.expect_request("/api/oauth/usage").respond_with_handler(endless)
    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        UsageClient(timeout=5).fetch(Credentials(access_token=token))
    assert caught.value.status == 302
    assert time.monotonic() - started < 3
    time.sleep(0.3)
    assert len(sent) * 65536 < 16 * 1024 * 1024, f"{len(sent) * 64} KiB of the redirect body were read"

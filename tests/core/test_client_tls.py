"""TLS is always verified; a CA bundle can be given; HTTPS proxies tunnel.

A throw-away CA (trustme) signs a certificate for 127.0.0.1 and a real HTTPS
server (pytest-httpserver with an SSL context) serves with it.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from pytest_httpserver import HTTPServer

import claude_usage
import support
from claude_usage import Credentials, NetworkError
from claude_usage.client import USAGE_PATH

StaticBackend = support.StaticBackend


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_pem(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def other_ca_pem(tmp_path: Path) -> Path:
    path = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[Callable[..., HTTPServer]]:
    servers: list[HTTPServer] = []

    def start(*names: str) -> HTTPServer:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*names).configure_cert(context)
        server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.clear()
        server.stop()


@pytest.fixture
def https(tls_server: Callable[..., HTTPServer], body: dict[str, Any]) -> HTTPServer:
    server = tls_server("127.0.0.1")
    support.serve(server, body)
    return server


def https_url(server: HTTPServer) -> str:
    return f"https://127.0.0.1:{server.port}"


def get(token: str, **kwargs: Any) -> claude_usage.UsageData:
    return claude_usage.get_usage(backend=StaticBackend(Credentials(access_token=token)), **kwargs)


def test_unknown_ca_fails_verification(https: HTTPServer, token: str) -> None:
    with pytest.raises(NetworkError) as caught:
        get(token, base_url=https_url(https))

    error = caught.value
    assert type(error) is NetworkError
    text = str(error)
    assert "\n" not in text
    assert text.startswith(f"TLS connection to 127.0.0.1:{https.port} failed (certificate verify failed")
    assert "CLAUDE_USAGE_CA_BUNDLE" in text
    assert error.__context__ is None
    assert error.__cause__ is None
    assert https.log == []  # the token was never sent


def test_ca_bundle_argument(https: HTTPServer, token: str, ca_pem: Path, body: dict[str, Any]) -> None:
    usage = get(token, base_url=https_url(https), ca_bundle=str(ca_pem))
    assert usage == claude_usage.parse_usage(body)
    assert len(https.log) == 1
    assert https.log[0][0].headers["Authorization"] == f"Bearer {token}"


def test_ca_bundle_variable(
    https: HTTPServer, token: str, ca_pem: Path, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_USAGE_CA_BUNDLE", str(ca_pem))
    monkeypatch.setenv("CLAUDE_USAGE_BASE_URL", https_url(https))
    assert get(token) == claude_usage.parse_usage(body)
    assert len(https.log) == 1


def test_requests_ca_bundle_variable_is_honoured(
    https: HTTPServer, token: str, ca_pem: Path, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_pem))
    assert get(token, base_url=https_url(https)) == claude_usage.parse_usage(body)


def test_ca_bundle_argument_beats_variable(
    https: HTTPServer, token: str, ca_pem: Path, other_ca_pem: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_USAGE_CA_BUNDLE", str(other_ca_pem))
    get(token, base_url=https_url(https), ca_bundle=str(ca_pem))
    with pytest.raises(NetworkError, match="certificate verify failed"):
        get(token, base_url=https_url(https))
    assert len(https.log) == 1


def test_wrong_ca_fails(https: HTTPServer, token: str, other_ca_pem: Path) -> None:
    with pytest.raises(NetworkError, match="certificate verify failed"):
        get(token, base_url=https_url(https), ca_bundle=str(other_ca_pem))
    assert https.log == []


def test_certificate_for_another_name_fails(
    tls_server: Callable[..., HTTPServer], token: str, ca_pem: Path, body: dict[str, Any]
) -> None:
    server = tls_server("localhost")  # valid, trusted, but not for 127.0.0.1
    support.serve(server, body)
    with pytest.raises(NetworkError, match="certificate verify failed"):
        get(token, base_url=https_url(server), ca_bundle=str(ca_pem))
    assert server.log == []


def test_plain_http_to_a_tls_port_is_a_network_error(https: HTTPServer, token: str) -> None:
    with pytest.raises(NetworkError):
        get(token, base_url=f"http://127.0.0.1:{https.port}")
    assert https.log == []


# -- an HTTPS proxy: CONNECT tunnel ---------------------------------------------------------


class TunnelProxy:
    """A minimal CONNECT proxy on 127.0.0.1 that records what it relays."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.listener.settimeout(0.05)
        self.port: int = self.listener.getsockname()[1]
        self.connect_lines: list[bytes] = []
        self.from_client = b""
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accept_thread = threading.Thread(target=self._accept, daemon=True)
        self._accept_thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            thread = threading.Thread(target=self._tunnel, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _tunnel(self, client: socket.socket) -> None:
        with client:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = client.recv(65536)
                if not chunk:
                    return
                data += chunk
            first_line = data.split(b"\r\n", 1)[0]
            self.connect_lines.append(first_line)
            method, target, _ = first_line.split(b" ", 2)
            if method != b"CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            host, port = target.rsplit(b":", 1)
            with socket.create_connection((host.decode(), int(port)), timeout=5) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                with contextlib.suppress(OSError):  # either side hung up or reset
                    self._relay(client, upstream)

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        while not self.stopping.is_set():
            ready, _, _ = select.select([client, upstream], [], [], 0.05)
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                if sock is client:
                    self.from_client += data
                    upstream.sendall(data)
                else:
                    client.sendall(data)

    def close(self) -> None:
        self.stopping.set()
        self._accept_thread.join(2)
        for thread in self._threads:
            thread.join(2)
        self.listener.close()


@pytest.fixture
def tunnel() -> Iterator[TunnelProxy]:
    proxy = TunnelProxy()
    yield proxy
    proxy.close()


def test_https_proxy_from_the_environment_tunnels(
    https: HTTPServer,
    tunnel: TunnelProxy,
    token: str,
    ca_pem: Path,
    body: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{tunnel.port}")

    usage = get(token, base_url=https_url(https), ca_bundle=str(ca_pem))

    assert usage == claude_usage.parse_usage(body)
    assert len(tunnel.connect_lines) == 1
    assert tunnel.connect_lines[0].startswith(f"CONNECT 127.0.0.1:{https.port} HTTP/1.".encode())
    assert [request.path for request, _ in https.log] == [USAGE_PATH]
    # The proxy relayed the request, but only encrypted: no token on its side.
    assert len(tunnel.from_client) > 0
    support.assert_no_token(tunnel.from_client, token)
    assert b"Authorization" not in tunnel.from_client


def test_https_proxy_still_verifies_the_server(
    https: HTTPServer, tunnel: TunnelProxy, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{tunnel.port}")

    with pytest.raises(NetworkError, match="certificate verify failed"):
        get(token, base_url=https_url(https))

    assert len(tunnel.connect_lines) == 1
    assert https.log == []

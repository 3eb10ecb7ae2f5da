"""The one place that speaks HTTP, through ``requests``.

It sends exactly one request (no retries, no redirects), reads at most
``max_bytes`` of body within the timeout, and turns every transport failure
into a :class:`NetworkError` created *outside* the ``except`` block, so that
the error has no ``__context__`` leading back to the ``requests`` objects that
carry the Authorization header.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Iterator
from typing import Any

import attrs
import requests
import urllib3.exceptions
from urllib3.exceptions import ReadTimeoutError

from claude_usage._secret import BearerAuth, SecretToken
from claude_usage.errors import (
    ClaudeUsageError,
    NetworkError,
    NetworkTimeoutError,
    ResponseTooLargeError,
)

__all__ = ["Reply", "new_session", "send"]

_CHUNK = 64 * 1024


@attrs.frozen
class Reply:
    """What came back: status, the few headers we use, and the body."""

    status: int
    headers: dict[str, str]
    body: bytes


def new_session() -> requests.Session:
    """A session that never retries; proxies and CA settings come from the
    environment as ``requests`` reads them."""
    session = requests.Session()
    # requests' own adapters already make exactly one attempt (max_retries
    # is 0, reads never retried); mounting fresh ones would cost a pool
    # manager per call for nothing. Checked, so a change upstream is noticed.
    for adapter in session.adapters.values():
        retries = getattr(adapter, "max_retries", None)
        if retries is None or retries.total != 0 or retries.read:
            raise RuntimeError("requests' default adapter retries: claude-usage must send one attempt only")
    return session


_KEPT_HEADERS = ("content-type", "content-length", "retry-after", "location", "request-id")


def send(
    session: requests.Session,
    url: str,
    token: SecretToken,
    *,
    headers: dict[str, str],
    timeout: float,
    verify: bool | str,
    max_bytes: int,
) -> Reply:
    """GET ``url`` once and return the reply; raise a typed error on failure."""
    host = _host_of(url)
    deadline = time.monotonic() + timeout
    error: ClaudeUsageError | None = None
    response: requests.Response | None = None
    try:
        # Not session.get(): even with allow_redirects=False, Session.send
        # reads the whole body of a 3xx to look for the next hop, with no
        # size limit and no deadline. The adapter sends exactly one request
        # and leaves the body to _read_body; proxies and CA settings from the
        # environment are merged here as Session.request would.
        prepared = session.prepare_request(requests.Request("GET", url, headers=headers, auth=BearerAuth(token)))
        settings = session.merge_environment_settings(prepared.url or url, {}, True, verify, None)
        response = session.get_adapter(prepared.url or url).send(
            prepared,
            stream=True,
            timeout=(timeout, timeout),
            verify=True if settings["verify"] is None else settings["verify"],
            proxies=settings["proxies"],
            cert=settings["cert"],
        )
    except requests.exceptions.Timeout:
        error = NetworkTimeoutError(f"{host} did not answer within {timeout:g} s")
    except requests.exceptions.SSLError as exc:
        error = NetworkError(
            f"TLS connection to {host} failed ({_reason(exc)}); if a proxy re-signs TLS, "
            "point CLAUDE_USAGE_CA_BUNDLE at its CA certificate"
        )
    except requests.exceptions.ProxyError as exc:
        error = NetworkError(f"the proxy for {host} failed ({_reason(exc)}); check HTTPS_PROXY / NO_PROXY")
    except requests.exceptions.ConnectionError as exc:
        error = NetworkError(f"could not connect to {host} ({_reason(exc)})")
    except requests.exceptions.RequestException as exc:
        error = NetworkError(f"request to {host} failed ({type(exc).__name__})")
    if error is not None or response is None:
        raise error or NetworkError(f"request to {host} failed")

    try:
        status = response.status_code
        # A redirect is never followed, so its body is never needed: not read.
        body = b"" if 300 <= status < 400 else _read_body(response, host, max_bytes, deadline, timeout)
        kept = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
    finally:
        response.close()
    return Reply(status=status, headers=kept, body=body)


def _read_body(response: requests.Response, host: str, max_bytes: int, deadline: float, timeout: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLargeError(
            f"the response from {host} is {int(declared)} bytes, over the {max_bytes} byte limit; not read"
        )
    chunks: list[bytes] = []
    size = 0
    error: ClaudeUsageError | None = None
    try:
        for chunk in _chunks(response):
            size += len(chunk)
            if size > max_bytes:
                error = ResponseTooLargeError(
                    f"the response from {host} exceeded the {max_bytes} byte limit; reading stopped"
                )
                break
            chunks.append(chunk)
            if time.monotonic() > deadline:
                error = NetworkTimeoutError(f"{host} did not send its whole answer within {timeout:g} s")
                break
    except requests.exceptions.ConnectionError as exc:
        if any(isinstance(arg, ReadTimeoutError) for arg in exc.args):
            error = NetworkTimeoutError(f"{host} stopped sending its answer for {timeout:g} s")
        else:
            error = NetworkError(f"the connection to {host} broke while reading the answer ({_reason(exc)})")
    except requests.exceptions.ChunkedEncodingError as exc:
        error = NetworkError(f"the answer from {host} was cut short or garbled ({_reason(exc)})")
    except requests.exceptions.ContentDecodingError:
        error = NetworkError(f"the answer from {host} could not be decompressed")
    except requests.exceptions.RequestException as exc:
        error = NetworkError(f"reading the answer from {host} failed ({type(exc).__name__})")
    if error is not None:
        raise error
    return b"".join(chunks)


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """The body piece by piece, each piece as soon as one read brings it.

    ``iter_content`` blocks until a whole chunk has arrived, so a server
    sending a byte now and then (each within the read timeout) would hold
    the caller far past its deadline; ``read1`` returns what one read got.
    urllib3's errors are turned into the ones ``iter_content`` raises.
    """
    raw = response.raw
    if not hasattr(raw, "read1"):  # urllib3 before 2.x: whole chunks only
        yield from response.iter_content(_CHUNK)
        return
    try:
        while chunk := raw.read1(_CHUNK, decode_content=True):
            yield chunk
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from None
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from None
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.exceptions.ConnectionError(exc) from None
    except urllib3.exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(exc) from None


_ERRNO_TEXT = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.ETIMEDOUT: "timed out",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
}


def _reason(exc: BaseException) -> str:
    """A short human reason from the chain of causes ``requests`` wraps."""
    seen: set[int] = set()
    pending: list[Any] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen or not isinstance(current, BaseException):
            continue
        seen.add(id(current))
        code = getattr(current, "errno", None)
        if code in _ERRNO_TEXT:
            return _ERRNO_TEXT[code]
        name = type(current).__name__
        if name == "NameResolutionError" or "Name or service not known" in str(current):
            return "the host name could not be resolved"
        if name == "SSLCertVerificationError":
            return "certificate verify failed: " + str(getattr(current, "verify_message", "")).strip()
        if name in ("IncompleteRead", "InvalidChunkLength"):
            return "connection closed before the whole answer arrived"
        if name == "RemoteDisconnected":  # a ConnectionResetError subclass: test it first
            return "the server closed the connection without answering"
        if isinstance(current, ConnectionResetError):
            return "connection reset"
        pending.extend([*current.args, current.__cause__, current.__context__])
    return type(exc).__name__


def _host_of(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.netloc or url

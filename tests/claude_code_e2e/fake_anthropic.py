"""A loopback stand-in for the two services the real Claude Code and
``claude-usage statusline`` talk to in the end-to-end test.

* The Messages API (``ANTHROPIC_BASE_URL``): ``HEAD /api/hello``, the
  start-up quota probe and streamed ``/v1/messages`` calls, each answered with
  the ``anthropic-ratelimit-unified-*`` headers Claude Code turns into the
  statusline's ``rate_limits``.
* The usage endpoint (``CLAUDE_USAGE_BASE_URL``): ``GET /api/oauth/usage``,
  answering a body, or hanging to show that renders never pile up requests.

Standard library only; every request is logged so the test can count them.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NOT_FOUND = b'{"type":"error","error":{"type":"not_found_error","message":"no"}}'


def _sse(events: list[tuple[str, dict[str, Any]]]) -> bytes:
    return b"".join(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events)


def _message_events(model: str, text: str) -> list[tuple[str, dict[str, Any]]]:
    message: dict[str, Any] = {
        "id": "msg_e2e",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 1},
    }
    return [
        ("message_start", {"type": "message_start", "message": message}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}},
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 3},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]


class FakeAnthropic:
    """Both fakes on one server (paths do not clash); start(), then .url."""

    def __init__(self, five_hour: float = 0.235, seven_day: float = 0.41) -> None:
        self.five_hour = five_hour
        self.seven_day = seven_day
        self.usage_body: dict[str, Any] | None = None
        self.usage_hangs = False
        self.log: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def requests(self, path: str) -> list[float]:
        with self._lock:
            return [when for when, _, logged in self.log if logged.split("?")[0] == path]

    def ratelimit_headers(self) -> dict[str, str]:
        now = int(time.time())
        return {
            "anthropic-ratelimit-unified-status": "allowed",
            "anthropic-ratelimit-unified-reset": str(now + 2 * 3600),
            "anthropic-ratelimit-unified-representative-claim": "five_hour",
            "anthropic-ratelimit-unified-5h-utilization": str(self.five_hour),
            "anthropic-ratelimit-unified-5h-reset": str(now + 2 * 3600 + 14 * 60),
            "anthropic-ratelimit-unified-5h-status": "allowed",
            "anthropic-ratelimit-unified-7d-utilization": str(self.seven_day),
            "anthropic-ratelimit-unified-7d-reset": str(now + 4 * 86400 + 6 * 3600),
            "anthropic-ratelimit-unified-7d-status": "allowed",
            "anthropic-ratelimit-unified-overage-status": "rejected",
            "anthropic-ratelimit-unified-overage-disabled-reason": "org_level_disabled",
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _record(self) -> None:
                with fake._lock:
                    fake.log.append((time.time(), self.command, self.path))

            def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("request-id", "req_e2e")
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self) -> None:
                self._record()
                self._send(200, b"", "text/plain")

            def do_GET(self) -> None:
                self._record()
                path = self.path.split("?")[0]
                if path == "/api/oauth/usage":
                    if fake.usage_hangs:
                        fake._stop.wait(60)
                        return
                    body = json.dumps(fake.usage_body or {}).encode()
                    self._send(200, body, "application/json")
                    return
                self._send(404, NOT_FOUND, "application/json")

            def do_POST(self) -> None:
                self._record()
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                try:
                    request = json.loads(raw)
                except ValueError:
                    request = {}
                path = self.path.split("?")[0]
                if not path.endswith("/v1/messages"):
                    self._send(404, NOT_FOUND, "application/json")
                    return
                model = str(request.get("model") or "claude-opus")
                headers = fake.ratelimit_headers()
                if request.get("stream"):
                    self._send(200, _sse(_message_events(model, "Hello from the fake.")), "text/event-stream", headers)
                    return
                message = {
                    "id": "msg_e2e",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [{"type": "text", "text": "ok"}],
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "usage": {"input_tokens": 12, "output_tokens": 1},
                }
                self._send(200, json.dumps(message).encode(), "application/json", headers)

        return Handler

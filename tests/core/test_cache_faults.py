"""The shared cache under stress: hundreds of processes at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import support

PROCESSES = 200

CLIENT = """
import json, sys
from claude_usage.cache import UsageCache
cached = UsageCache(sys.argv[1], lock_timeout=60).get("env", max_age=60)
print(json.dumps({"five_hour": cached.body["five_hour"]["utilization"], "stale": cached.stale}))
"""


def test_hundreds_of_processes_share_one_request(
    api: HTTPServer, tmp_path: Path, token: str, record_figure: Callable[[str], None]
) -> None:
    body = support.load_body("published_domain_2026_07.json")

    def slow(request: Request) -> Response:
        time.sleep(0.5)
        return Response(json.dumps(body), content_type="application/json")

    api.expect_request("/api/oauth/usage").respond_with_handler(slow)
    env = {**os.environ, "CLAUDE_CODE_OAUTH_TOKEN": token, "CLAUDE_CODE_OAUTH_SCOPES": "user:inference user:profile"}
    cache_dir = tmp_path / "cache"
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, str(cache_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(PROCESSES)
    ]
    results = [process.communicate(timeout=180) for process in processes]
    elapsed = time.monotonic() - started
    failures = [(p.returncode, err[-300:]) for p, (_, err) in zip(processes, results, strict=True) if p.returncode]
    assert failures == []
    answers = [json.loads(out) for out, _ in results]
    assert all(answer == {"five_hour": 53.0, "stale": False} for answer in answers)
    assert len(api.log) == 1, f"{len(api.log)} requests for {PROCESSES} processes"
    files = sorted(path.name for path in cache_dir.iterdir())
    assert len([name for name in files if name.endswith(".json")]) == 1, files
    assert not [name for name in files if name.startswith(".tmp-")], "a temporary file was left behind"
    for path in cache_dir.iterdir():
        support.assert_no_token(path.read_bytes(), token)
    record_figure(f"cache: {PROCESSES} processes at once on a cold cache -> {len(api.log)} request, {elapsed:.1f} s")

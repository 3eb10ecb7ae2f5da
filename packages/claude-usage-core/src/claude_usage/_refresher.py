"""The background refresh process that :meth:`UsageCache.refresh_in_background`
starts: one request through the shared cache, its outcome recorded there.

It prints nothing (its streams are /dev/null) and always exits 0: whatever
happened is in the cache entry for the next reader.
"""

from __future__ import annotations

import argparse


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="claude_usage._refresher", add_help=False)
    parser.add_argument("--cache-dir", required=True)
    parser.add_argument("--claim", required=True)
    parser.add_argument("--max-age", type=float, required=True)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--backend")
    parser.add_argument("--config-dir")
    parser.add_argument("--base-url")
    try:
        args = parser.parse_args(argv)
    except SystemExit:
        return 0
    from claude_usage.cache import UsageCache
    from claude_usage.client import UsageClient
    from claude_usage.errors import ClaudeUsageError

    try:
        with UsageClient(base_url=args.base_url, timeout=args.timeout) as client:
            UsageCache(args.cache_dir).run_claimed_refresh(
                args.claim, args.backend, config_dir=args.config_dir, max_age=args.max_age, client=client
            )
    except ClaudeUsageError:
        pass  # e.g. a bad CLAUDE_USAGE_BASE_URL: the render says so itself
    return 0

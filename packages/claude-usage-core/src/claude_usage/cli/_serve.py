"""``claude-usage serve``: usage as Prometheus metrics.

Every scrape reads through the shared cache, so a Prometheus scraping every
15 s (or several of them) causes at most one API call per TTL and per
profile, and a 429 back-off silences it like every other claude-usage
process. ``--textfile PATH`` writes the same metrics once for
node_exporter's textfile collector (run it from cron or a timer).

Needs ``prometheus_client`` (installed with the ``claude-usage``
meta-package, or ``pip install 'claude-usage-core[prometheus]'``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from claude_usage.errors import ClaudeUsageError, ConfigurationError

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

    from claude_usage.client import ClientConfig

DEFAULT_PROFILE = "default"


class UsageCollector:
    """A Prometheus collector reading every profile through the shared cache."""

    def __init__(self, profiles: Sequence[str | None], *, backend: str | None, max_age: float, config: ClientConfig):
        self.profiles = list(profiles) or [None]
        self.backend = backend
        self.max_age = max_age
        self.config = config
        self.last_success: dict[str, float] = {}

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        from claude_usage.cache import UsageCache
        from claude_usage.client import UsageClient
        from claude_usage.forecast import forecast_window

        labels = ["profile"]
        utilization = GaugeMetricFamily(
            "claude_usage_utilization_percent",
            "Used share of a rate-limit window, in percent",
            labels=[*labels, "window"],
        )
        resets = GaugeMetricFamily(
            "claude_usage_resets_at_seconds", "When a window resets, as a Unix timestamp", labels=[*labels, "window"]
        )
        limit = GaugeMetricFamily(
            "claude_usage_limit_percent",
            "Used share of each entry of the limits list, in percent",
            labels=[*labels, "kind", "model", "active"],
        )
        projected = GaugeMetricFamily(
            "claude_usage_projected_percent",
            "Share of a window used at its reset at its pace (the last hour's rate where the observation log has it, "
            "else the average since the window began), in percent "
            "(absent when there is no forecast: too early in the window, or a window of unknown length)",
            labels=[*labels, "window"],
        )
        runs_out = GaugeMetricFamily(
            "claude_usage_runs_out_at_seconds",
            "When a window reaches 100% at that rate, as a Unix timestamp (absent when not before its reset)",
            labels=[*labels, "window"],
        )
        up = GaugeMetricFamily(
            "claude_usage_up", "1 when fresh usage could be read for the profile, else 0", labels=labels
        )
        stale = GaugeMetricFamily(
            "claude_usage_stale", "1 when the values are the last good ones, kept during a back-off", labels=labels
        )
        success = GaugeMetricFamily(
            "claude_usage_last_success_timestamp_seconds",
            "When usage was last fetched successfully, as a Unix timestamp",
            labels=labels,
        )
        cache = UsageCache()
        with UsageClient(config=self.config) as client:
            for profile in self.profiles:
                name = profile or DEFAULT_PROFILE
                try:
                    cached = cache.get(self.backend, config_dir=profile, max_age=self.max_age, client=client)
                    data = cached.data
                except ClaudeUsageError as error:
                    sys.stderr.write(f"claude-usage serve: {name}: {error}\n")
                    up.add_metric([name], 0)
                    continue
                up.add_metric([name], 0 if cached.stale else 1)
                stale.add_metric([name], 1 if cached.stale else 0)
                success.add_metric([name], cached.fetched_at)
                now = datetime.now(timezone.utc)
                history = cache.history(self.backend, config_dir=profile, base_url=client.config.base_url)
                for window, value in data.windows.items():
                    utilization.add_metric([name, window], value.utilization)
                    if value.resets_at is not None:
                        resets.add_metric([name, window], value.resets_at.timestamp())
                    forecast = forecast_window(window, value, now, history)
                    if forecast.projected_percent is not None:
                        projected.add_metric([name, window], forecast.projected_percent)
                    if forecast.runs_out_at is not None:
                        runs_out.add_metric([name, window], forecast.runs_out_at.timestamp())
                for entry in data.limits:
                    limit.add_metric(
                        [name, entry.kind, entry.model or "", "true" if entry.is_active else "false"], entry.percent
                    )
        yield from (utilization, resets, projected, runs_out, limit, up, stale, success)


def registry_for(args: argparse.Namespace) -> CollectorRegistry:
    try:
        from prometheus_client import CollectorRegistry
    except ImportError:
        raise ConfigurationError(
            "`claude-usage serve` needs prometheus_client: pip install 'claude-usage-core[prometheus]'"
        ) from None
    from claude_usage.client import ClientConfig

    # Resolved now, so a bad CLAUDE_USAGE_BASE_URL exits 2 before listening
    # instead of failing every scrape.
    config = ClientConfig.resolve(timeout=args.timeout)
    registry = CollectorRegistry(auto_describe=False)
    profiles: list[str | None] = list(args.profile or []) or [args.config_dir]
    registry.register(UsageCollector(profiles, backend=args.backend, max_age=args.max_age, config=config))
    return registry


def run(args: argparse.Namespace) -> int:
    registry = registry_for(args)
    if args.textfile:
        from prometheus_client import write_to_textfile

        try:
            write_to_textfile(args.textfile, registry)
        except OSError as error:
            raise ConfigurationError(f"cannot write {args.textfile}: {error.strerror}") from None
        return 0
    from prometheus_client import start_http_server

    try:
        server, thread = start_http_server(args.port, addr=args.host, registry=registry)
    except OSError as error:
        raise ConfigurationError(f"cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    port = server.server_address[1]
    sys.stderr.write(f"claude-usage serve: metrics on http://{args.host}:{port}/metrics\n")
    sys.stderr.flush()
    try:
        while thread.is_alive():
            time.sleep(1)
    except KeyboardInterrupt:
        pass  # Ctrl-C, or SIGTERM (claude-usage installs a handler that raises this): a normal stop
    finally:
        server.shutdown()
        server.server_close()  # the listening socket, so the port is free at once
    sys.stderr.write("claude-usage serve: stopped\n")
    return 0


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {text!r}")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=_port, default=9841, help="port to listen on (default 9841; 0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--textfile",
        metavar="PATH",
        help="write the metrics once to PATH (for node_exporter's textfile collector) instead of serving",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        action="append",
        help="a Claude Code profile directory to report (repeatable; labelled profile=DIR); "
        "default: the current profile, labelled profile=default",
    )

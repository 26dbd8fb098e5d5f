"""`mediamill probe`: what a container healthcheck or an exec liveness probe runs (no network beyond
this pod's own loopback)."""

from __future__ import annotations

import time

import httpx

from mediamill.engine.heartbeats import ttl_for
from mediamill.settings import Settings


def _get_ok(url: str, timeout: float) -> str | None:
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return f"{url} did not answer: {type(exc).__name__}"
    return None if response.status_code == 200 else f"{url} answered {response.status_code}"


def probe_worker(settings: Settings, timeout: float) -> str | None:
    """None when the worker is alive: its liveness file is fresh and/or its /healthz answers 200."""
    if settings.worker_liveness_file is None and settings.metrics_port is None:
        return "nothing to probe: set MEDIAMILL_WORKER_LIVENESS_FILE or MEDIAMILL_METRICS_PORT"
    if settings.worker_liveness_file is not None:
        path = settings.worker_liveness_file
        limit = ttl_for(settings.heartbeat_interval_s)
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            return f"{path} does not exist (the worker has not started, or never beat)"
        if age > limit:
            return f"{path} is {age:.0f} s old (limit {limit} s): the worker's loop is stuck"
    if settings.metrics_port:
        return _get_ok(f"http://127.0.0.1:{settings.metrics_port}/healthz", timeout)
    return None


def probe_api(settings: Settings, timeout: float) -> str | None:
    return _get_ok(f"http://127.0.0.1:{settings.api_port}/healthz", timeout)

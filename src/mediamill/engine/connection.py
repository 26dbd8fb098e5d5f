"""Which Redis to talk to: MEDIAMILL_REDIS_URL, or the embedded server (started or joined on demand)."""

from __future__ import annotations

import threading

from mediamill.engine.redis_server import EmbeddedRedis
from mediamill.settings import Settings

_embedded: dict[str, EmbeddedRedis] = {}
_lock = threading.Lock()


def redis_url(settings: Settings) -> str:
    """The Redis URL for these settings; takes a lease on the embedded server when needed."""
    if settings.redis_url:
        return settings.redis_url
    key = str(settings.resolved_data_dir)
    with _lock:
        server = _embedded.get(key)
        if server is None:
            server = _embedded[key] = EmbeddedRedis(settings.resolved_data_dir)
        return server.acquire()


def embedded_server(settings: Settings) -> EmbeddedRedis | None:
    if settings.redis_url:
        return None
    return _embedded.get(str(settings.resolved_data_dir))


def release_embedded(settings: Settings) -> None:
    server = embedded_server(settings)
    if server is not None:
        server.release()

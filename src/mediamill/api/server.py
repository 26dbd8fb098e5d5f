"""Serving the API with uvicorn, and the rule that keeps a keyless API on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from mediamill.api.auth import is_loopback
from mediamill.api.http_protocol import GuardedHttpToolsProtocol
from mediamill.api.main import create_app
from mediamill.db import open_database
from mediamill.errors import ConfigError
from mediamill.services.keys import keys_exist
from mediamill.settings import Settings

# Multipart framing around an upload of the largest allowed size (boundaries, part headers, fields).
BODY_OVERHEAD_BYTES = 1024 * 1024


def check_bind(settings: Settings, host: str) -> bool:
    """True when `host` is loopback. Refuses (ConfigError) a wider bind while no API key exists."""
    if is_loopback(host):
        return True
    if not keys_exist(open_database(settings)):
        raise ConfigError(
            f"refusing to serve the API on {host}: no API key exists, so anyone who can reach it could "
            "submit jobs. Create one first (`mediamill keys create --name app --scopes submit,read`) "
            "or bind to 127.0.0.1."
        )
    return False


def build_server(settings: Settings, host: str | None = None, port: int | None = None, *,
                 extend: Callable[[FastAPI], object] | None = None) -> uvicorn.Server:
    """`extend` adds more to the app before it serves (the composition root mounts the dashboard so)."""
    host = host or settings.api_host
    port = settings.api_port if port is None else port
    loopback = check_bind(settings, host)
    app = create_app(settings, loopback_only=loopback)
    if extend is not None:
        extend(app)
    protocol = GuardedHttpToolsProtocol.with_limits(
        settings.api_header_timeout_s, settings.api_body_timeout_s,
        settings.limits.max_upload_bytes + BODY_OVERHEAD_BYTES)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            lifespan="on", proxy_headers=False, server_header=False, http=protocol)
    return uvicorn.Server(config)


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Run the API until interrupted (blocking)."""
    asyncio.run(build_server(settings, host, port).serve())

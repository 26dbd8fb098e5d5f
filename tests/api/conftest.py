"""API fixtures: the app in-process over httpx's ASGI transport, or served by a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from mediamill.api.main import create_app
from mediamill.db.session import close_database


@pytest.fixture
def api_settings(settings):
    return settings


@pytest.fixture
def make_api(api_settings):
    """Factory: `async with make_api(loopback_only=True) as http:` an httpx client on the app (lifespan run)."""

    @contextlib.asynccontextmanager
    async def factory(settings=None, **kw):
        app = create_app(settings or api_settings, **kw)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
                http.app = app
                yield http

    yield factory
    close_database(api_settings)


@pytest.fixture
async def api(make_api):
    async with make_api() as http:
        yield http


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(app, port: int):
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                          lifespan="on", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def live_api(api_settings):
    """A real uvicorn on 127.0.0.1 (for SSE, Range and schemathesis); yields (base_url, settings)."""
    port = free_port()
    settings = api_settings.model_copy(update={"api_port": port})
    with serving(create_app(settings), port) as base_url:
        yield base_url, settings
    close_database(settings)

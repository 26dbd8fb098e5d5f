"""API fixtures: the app in-process over httpx's ASGI transport, or served by a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import contextlib
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
def serve_api():
    """Factory: `with serve_api(settings) as (base_url, settings):` a real uvicorn for these settings."""

    @contextlib.contextmanager
    def factory(settings):
        port = free_port()
        served = settings.model_copy(update={"api_port": port})
        with serving(create_app(served), port) as base_url:
            yield base_url, served
        close_database(served)

    return factory


@pytest.fixture
def live_api(api_settings):
    """A real uvicorn on 127.0.0.1 (for SSE, Range and schemathesis); yields (base_url, settings)."""
    port = free_port()
    settings = api_settings.model_copy(update={"api_port": port})
    with serving(create_app(settings), port) as base_url:
        yield base_url, settings
    close_database(settings)


# A task for tests that need a job to take a while and report steps (registered once per session).
from pydantic import BaseModel, ConfigDict, Field  # noqa: E402

from mediamill.tasks import TaskContext, task  # noqa: E402
from mediamill.testing import free_port  # noqa: E402


class SlowParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: int = Field(3, ge=1, le=50, description="how many steps")
    step_s: float = Field(0.3, ge=0, le=5, description="seconds per step")


@task("testing.slow_steps", queue="analytics", isolation="inline")
async def slow_steps(ctx: TaskContext, params: SlowParams) -> dict:
    """Sleeps through named steps, reporting progress and honouring cancellation."""
    import asyncio

    for index in range(params.steps):
        ctx.check()
        ctx.progress(100 * index / params.steps, f"step-{index + 1}")
        await asyncio.sleep(params.step_s)
    ctx.progress(100, "done")
    return {"steps": params.steps}

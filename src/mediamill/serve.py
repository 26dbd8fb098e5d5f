"""The worker entry point: a worker assembled with its hooks, and `mediamill up` / `mediamill api`
(workers and the HTTP API in one process, stopped together)."""

from __future__ import annotations

import asyncio
import signal

from mediamill.composition import install_tasks
from mediamill.engine.metrics import MetricsMiddleware
from mediamill.engine.middleware import LoggingMiddleware, Middleware
from mediamill.engine.worker import WorkerService
from mediamill.logs import get_logger
from mediamill.pipelines.middleware import PipelineMiddleware
from mediamill.records.middleware import RecordsMiddleware
from mediamill.settings import Settings
from mediamill.webhooks.middleware import WebhookMiddleware

log = get_logger("mediamill.serve")


def worker_middleware(settings: Settings) -> list[Middleware]:
    """The standard hooks around every job, in call order: (tracing,) logging, metrics, records, webhooks, pipelines."""
    hooks = [LoggingMiddleware(), MetricsMiddleware(), RecordsMiddleware(settings), WebhookMiddleware(settings),
             PipelineMiddleware(settings)]
    if settings.tracing:
        from mediamill.engine.tracing import TracingMiddleware  # only with tracing on (settings.tracing)

        hooks.insert(0, TracingMiddleware())  # first in, last out: its job span encloses the other hooks
    return hooks


def build_worker(settings: Settings, queues: list[str] | None = None,
                 middleware: list[Middleware] | None = None) -> WorkerService:
    """A worker for `queues` (default: the settings' or all) with the built-in tasks and hooks."""
    install_tasks(settings)
    hooks = worker_middleware(settings) if middleware is None else middleware
    return WorkerService(settings, queues, hooks)


def with_api_address(settings: Settings, host: str | None, port: int | None) -> Settings:
    """`--host`/`--port` become the settings' API address, so the links this process and its
    workers hand out (downloads, the dashboard URL) point where the API really listens."""
    update = {key: value for key, value in (("api_host", host), ("api_port", port)) if value is not None}
    return settings.model_copy(update=update) if update else settings


async def serve_all(settings: Settings, queues: list[str] | None, *, api: bool, host: str | None = None,
                    port: int | None = None, workers: bool = True) -> None:
    settings = with_api_address(settings, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    service = build_worker(settings, queues) if workers else None
    server = None
    if service:
        await service.start()
    api_task = None
    if api:
        # Imported here: a worker-only process (`mediamill up --no-api`) loads no FastAPI or dashboard.
        from mediamill.api.server import build_server
        from mediamill.dashboard import mount

        server = build_server(settings, settings.api_host, settings.api_port, extend=mount)
        api_task = asyncio.ensure_future(server.serve())
        address = f"http://{settings.api_host}:{settings.api_port}"
        log.info("api listening", url=address, docs="/docs", dashboard=f"{address}/dashboard")
    try:
        waiters = [asyncio.ensure_future(stop.wait())] + ([api_task] if api_task else [])
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if server is not None:
            server.should_exit = True
            if api_task:
                await asyncio.gather(api_task, return_exceptions=True)
        if service:
            await service.stop()

"""A worker's own small HTTP server (`mediamill worker --metrics-port`): /metrics, /healthz, /readyz.

It runs on the worker's event loop on purpose: when the loop hangs the probe stops answering, and
Kubernetes restarts the pod. /healthz also fails when the loop still answers but its monitor stopped
ticking; /readyz when Redis has not taken this worker's heartbeat for three intervals.
"""

from __future__ import annotations

import asyncio
import json

import uvicorn

from mediamill.engine import metrics
from mediamill.logs import get_logger
from mediamill.settings import Settings

log = get_logger("mediamill.worker")


class WorkerHTTP:
    def __init__(self, settings: Settings, monitor, redis) -> None:
        self.settings = settings
        self.monitor = monitor
        self.redis = redis
        config = uvicorn.Config(self.app, host=settings.metrics_host, port=settings.metrics_port,
                                log_level="warning", access_log=False, lifespan="off", server_header=False,
                                interface="asgi3", proxy_headers=False)
        self.server = uvicorn.Server(config)
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self._task.done():
                self._task.result()  # the bind failed: raise it
                raise RuntimeError("the worker's metrics server stopped at start")
            await asyncio.sleep(0.01)
        log.info("worker metrics listening", url=f"http://{self.settings.metrics_host}:{self.port}/metrics")

    @property
    def port(self) -> int:
        sockets = [s for server in self.server.servers for s in server.sockets]
        return sockets[0].getsockname()[1] if sockets else self.settings.metrics_port

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def app(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/metrics":
            snapshot = await metrics.scrape_snapshot(self.monitor.broker())
            await _answer(send, 200, await metrics.render(self.settings, snapshot), metrics.CONTENT_TYPE)
        elif path == "/healthz":
            alive = self.monitor.alive()
            await _json(send, 200 if alive else 503, {"status": "ok" if alive else "stuck",
                                                     "checks": {"loop": "ok" if alive else "no tick"}})
        elif path == "/readyz":
            ready = self.monitor.ready()
            await _json(send, 200 if ready else 503, {"status": "ok" if ready else "unavailable",
                                                     "checks": {"heartbeat": "ok" if ready else "not taken"}})
        else:
            await _json(send, 404, {"error": "NotFound", "message": f"no {path}; try /metrics, /healthz, /readyz"})


async def _json(send, status: int, body: dict) -> None:
    await _answer(send, status, json.dumps(body).encode(), "application/json")


async def _answer(send, status: int, body: bytes, content_type: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

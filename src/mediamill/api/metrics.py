"""HTTP request metrics, by route template (never a concrete path: ids stay out of labels)."""

from __future__ import annotations

import time

from mediamill.engine.metrics import HTTP_DURATION, HTTP_REQUESTS


class RequestMetrics:
    """ASGI middleware: counts every answered request and times it."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_counting(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            route = scope.get("route")
            # The router sets the matched route on the scope; unmatched paths share one label.
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(method, template, str(status["code"])).inc()
            HTTP_DURATION.labels(method, template).observe(time.perf_counter() - started)

"""GET /metrics: Prometheus exposition of every process sharing the metrics directory."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from mediamill.api.deps import ReadKey, ServicesDep
from mediamill.api.routes import problems
from mediamill.engine import metrics

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, responses=problems(401, 403))
async def prometheus_metrics(services: ServicesDep, key: ReadKey) -> Response:
    """Job counters and histograms, queue depths, workers online, HTTP request metrics (text format)."""
    snapshot = await metrics.scrape_snapshot(services.broker)
    return Response(await metrics.render(services.settings, snapshot), media_type=metrics.CONTENT_TYPE)

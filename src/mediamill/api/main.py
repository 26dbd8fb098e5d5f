"""The FastAPI application: routers, the error handlers, and the services opened for its lifetime."""

from __future__ import annotations

import contextlib
import gc

from fastapi import FastAPI

from mediamill import __version__
from mediamill.api import errors
from mediamill.api.metrics import RequestMetrics
from mediamill.api.routes import (
    analytics,
    artifacts,
    docs,
    health,
    jobs,
    notifications,
    pipelines,
    queues,
    seed_queues,
    seed_reel,
    shares,
    tasks,
)
from mediamill.api.routes import metrics as prometheus
from mediamill.composition import install_tasks
from mediamill.engine import metrics
from mediamill.engine.redis_checks import check_redis_if_reachable
from mediamill.engine.wire import JobRequest
from mediamill.services.context import Services
from mediamill.settings import Settings, get_settings


def create_app(settings: Settings | None = None, *, loopback_only: bool = True) -> FastAPI:
    """`loopback_only`: the server listens on loopback only (then, with no API keys, callers need none)."""
    settings = settings or get_settings()
    install_tasks(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        metrics.enable(settings)  # this process's request counts join the workers' in one directory
        app.state.services = await Services.open(settings)
        await check_redis_if_reachable(app.state.services.broker.redis, where="api")
        # What is alive now (modules, routes, models, connections) lives as long as the server: out of
        # the collector's generations, a full collection no longer walks it (one of 185,000 objects
        # took 250-370 ms, a request waiting behind it; young ones take half as long).
        gc.freeze()
        try:
            yield
        finally:
            await app.state.services.close()

    app = FastAPI(title="mediamill", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Background media and content jobs: submit, watch, download.")
    app.state.settings = settings
    app.state.loopback_only = loopback_only
    errors.install(app)
    docs.install(app)  # /docs and /redoc from vendored assets, not a CDN
    for module in (jobs, artifacts, tasks, queues, health, notifications, prometheus):
        app.include_router(module.router)
    app.add_middleware(RequestMetrics)
    app.include_router(queues.workers_router)
    app.include_router(analytics.events)
    app.include_router(analytics.router)
    app.include_router(pipelines.pipelines)
    app.include_router(pipelines.runs)
    app.include_router(shares.router)
    app.include_router(shares.public)
    app.include_router(seed_reel.router)  # the reel seed's own paths, for its unchanged app
    app.include_router(seed_queues.router)
    _finish_schema(app)
    return app


def _finish_schema(app: FastAPI) -> None:
    """Two fixes to the generated OpenAPI: POST /v1/jobs parses its body itself (its JSON model goes
    into the components), and 422 answers have our Problem shape, not FastAPI's default."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            model = JobRequest.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(model.pop("$defs", {}))
            components["JobRequest"] = model
            for name in ("HTTPValidationError", "ValidationError"):
                components.pop(name, None)
            problem = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
            for operations in schema["paths"].values():
                for operation in operations.values():
                    if "422" in operation.get("responses", {}):
                        operation["responses"]["422"] = {"description": "Invalid input (the message names the "
                                                                        "field)", "content": problem}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi

"""A job's params are validated twice: once at the edge (submit), once in the worker before the processor."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
from pydantic import BaseModel, ConfigDict, model_validator

from mediamill.api.main import create_app
from mediamill.db.session import close_database
from mediamill.tasks import TaskContext, task

VALIDATIONS: list[str] = []


class CountedParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = "x"

    @model_validator(mode="after")
    def _count(self) -> CountedParams:
        VALIDATIONS.append(self.label)
        return self


@task("testing.counted_params", queue="analytics", isolation="inline")
async def counted_params(ctx: TaskContext, params: CountedParams) -> dict:
    """Returns its label; its params model counts how often it is validated."""
    return {"label": params.label}


@contextlib.asynccontextmanager
async def http_api(settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            yield http
    close_database(settings)


async def test_a_job_from_http_validates_its_params_twice(settings, worker, client):
    VALIDATIONS.clear()
    async with http_api(settings) as api:
        response = await api.post("/v1/jobs", json={"task": "testing.counted_params", "params": {"label": "http"}})
        assert response.status_code == 202, response.text
        async with worker(["analytics"]):
            status = await client.job(response.json()["id"]).wait(timeout=30)
    assert status.result == {"label": "http"}
    # Given one job, when it is submitted and run: the edge checks it, the worker parses it for the processor.
    assert VALIDATIONS == ["http", "http"]


async def test_a_job_from_the_python_client_validates_its_params_twice(worker, client):
    VALIDATIONS.clear()
    handle = await client.submit("testing.counted_params", {"label": "client"})
    async with worker(["analytics"]):
        assert await handle.result(timeout=30) == {"label": "client"}
    assert VALIDATIONS == ["client", "client"]


ONE_STEP = """
name: counted
steps:
  only:
    task: testing.counted_params
    params: {label: pipeline}
"""


async def test_a_pipeline_step_validates_its_params_twice_after_the_spec_check(settings, worker):
    from mediamill.pipelines.coordinator import Coordinator
    from mediamill.pipelines.spec import parse_spec

    coordinator = Coordinator(settings)
    spec = parse_spec(ONE_STEP)
    VALIDATIONS.clear()
    try:
        async with worker(["analytics"]):
            run = await coordinator.start(spec, {}, {})
            for _ in range(600):
                status = await coordinator.status(run.id)
                if status.state in ("completed", "failed"):
                    break
                await asyncio.sleep(0.05)
    finally:
        await coordinator.close()
        close_database(settings)
    assert status.state == "completed", status.error
    # The spec check validates the step's static params once per run; then the step's job counts
    # like any other job: its submit and its worker.
    assert VALIDATIONS == ["pipeline"] * 3

"""SSE progress through a real uvicorn, health and readiness, and the OpenAPI docs."""

from __future__ import annotations

import asyncio
import json

import httpx


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith(":")]
        if not lines:
            continue
        fields = dict(line.split(": ", 1) for line in lines)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


async def test_events_stream_progress_then_completed(live_api, worker):
    base_url, settings = live_api
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        job = (await http.post("/v1/jobs", json={"task": "testing.slow_steps", "params": {"steps": 3}})).json()
        async with worker(["analytics"], settings=settings):
            async with http.stream("GET", job["links"]["events"]) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                text = "".join([chunk async for chunk in response.aiter_text()])
    events = parse_sse(text)
    names = [name for name, _ in events]
    assert names[-1] == "completed" and "progress" in names, names
    steps = [data["step"] for name, data in events if name == "step"]
    assert steps[:3] == ["step-1", "step-2", "step-3"], steps
    progress = [data["progress"] for name, data in events if name == "progress"]
    assert progress == sorted(progress) and any(0 < p < 100 for p in progress), progress
    final = events[-1][1]
    assert final["status"] == "completed" and final["result"] == {"steps": 3}


async def test_cancel_an_active_job(api, worker):
    job = (await api.post("/v1/jobs", json={"task": "testing.slow_steps", "params": {"steps": 50, "step_s": 0.2}}))
    job_id = job.json()["id"]
    async with worker(["analytics"]):
        for _ in range(600):
            if (await api.get(f"/v1/jobs/{job_id}")).json()["status"] == "active":
                break
            await asyncio.sleep(0.05)
        cancelled = await api.delete(f"/v1/jobs/{job_id}")
        assert cancelled.status_code == 200, cancelled.text
        for _ in range(600):
            body = (await api.get(f"/v1/jobs/{job_id}")).json()
            if body["error"]:
                break
            await asyncio.sleep(0.05)
    assert body["error"], body
    assert body["status"] == "cancelled" and body["error"]["type"] == "Cancelled", body
    assert body["progress"] < 100


async def test_events_of_a_finished_job_end_at_once(api, worker):
    job = (await api.post("/v1/jobs", data={"task": "file.inspect"}, files={"f": ("a.txt", b"abc")})).json()
    async with worker(["assets"]):
        response = await api.get(job["links"]["events"])
        events = parse_sse(response.text)
    assert events[-1][0] == "completed"


async def test_health_readiness_and_docs(api):
    assert (await api.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"redis": "ok", "database": "ok", "storage": "ok"}}
    assert (await api.get("/docs")).status_code == 200
    spec = (await api.get("/openapi.json")).json()
    assert "/v1/jobs" in spec["paths"] and "JobRequest" in spec["components"]["schemas"]


async def test_readiness_reports_a_dead_redis(api):
    services = api.app.state.services
    await services.broker.redis.aclose()
    original = services.broker.redis
    services.broker.redis = type(original).from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        ready = await api.get("/readyz")
    finally:
        await services.broker.redis.aclose()
        services.broker.redis = original
    assert ready.status_code == 503 and ready.json()["checks"]["redis"].startswith("error")


async def test_task_catalog_has_param_schemas(api):
    tasks = {task["name"]: task for task in (await api.get("/v1/tasks")).json()}
    inspect = tasks["file.inspect"]
    assert inspect["queue"] == "assets" and inspect["inputs"] == {"min": 1, "max": 1}
    assert "text_preview_chars" in inspect["params_schema"]["properties"]


async def test_queues_counts_and_pause_resume(api):
    queues = {q["name"]: q for q in (await api.get("/v1/queues")).json()}
    assert queues["assets"]["counts"]["waiting"] == 0 and queues["assets"]["paused"] is False
    assert (await api.post("/v1/queues/assets/pause")).json() == {"name": "assets", "paused": True}
    queues = {q["name"]: q for q in (await api.get("/v1/queues")).json()}
    assert queues["assets"]["paused"] is True
    assert (await api.post("/v1/queues/assets/resume")).json()["paused"] is False

"""/metrics after real jobs, from a worker's own port and from the API (one multi-process directory),
parsed with prometheus_client's parser; the worker's liveness probe stops answering when it hangs."""

from __future__ import annotations

import asyncio
import signal
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tasks_for_tests import QUEUE

from mediamill.api.main import create_app
from mediamill.db.session import close_database
from mediamill.testing import free_port


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


async def until_async(check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.2)


def value(found, name: str, **labels) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_after_real_jobs_from_the_worker_port_and_the_api(client, worker_process, settings,
                                                                        tmp_path):
    port = free_port()
    worker = worker_process(METRICS_PORT=str(port), HEARTBEAT_INTERVAL_S="0.5", ready=False).wait_ready(180)
    log = str(tmp_path / "e.log")
    done = [await client.submit("enginetest.work", {"log": log}) for _ in range(3)]
    failing = await client.submit("enginetest.flaky", {"log": log, "succeed_on": 0})
    for handle in done:
        await handle.result(timeout=240)
    status = await failing.wait(timeout=240)
    assert status.state == "failed"

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/readyz")).status_code == 200
        scraped = {}

        async def scrape() -> bool:
            scraped["found"] = samples((await http.get("/metrics")).text)
            # The task child processes are measured at the next heartbeat after they started, and a
            # worker writes its job series every 0.25 s (33fc549), so the last failure may lag its event
            found = scraped["found"]
            return (value(found, "mediamill_processor_children") >= 1
                    and value(found, "mediamill_jobs_total", queue=QUEUE, task="enginetest.flaky", status="failed") >= 1)

        await until_async(scrape, 20)
    found = scraped["found"]
    task = {"queue": QUEUE, "task": "enginetest.work"}
    assert value(found, "mediamill_jobs_total", status="completed", **task) == 3
    assert value(found, "mediamill_jobs_total", queue=QUEUE, task="enginetest.flaky", status="retried") == status.attempts - 1
    assert value(found, "mediamill_jobs_total", queue=QUEUE, task="enginetest.flaky", status="failed") == 1
    assert value(found, "mediamill_job_duration_seconds_count", **task) == 3
    assert value(found, "mediamill_job_wait_seconds_count", **task) == 3
    assert value(found, "mediamill_job_duration_seconds_bucket", le="+Inf", **task) == 3
    assert value(found, "mediamill_queue_jobs", queue=QUEUE, state="completed") == 3
    assert value(found, "mediamill_queue_jobs", queue=QUEUE, state="failed") == 1
    assert value(found, "mediamill_worker_up", queue=QUEUE) == 1
    assert value(found, "mediamill_worker_up", queue="images") == 0
    assert value(found, "mediamill_processor_rss_bytes") > 10_000_000  # a Python child is tens of MB
    # No job id in any label
    assert not [labels for (_, labels) in found if any(v.startswith("job_") for _, v in labels)]

    # The API's /metrics shows the same job series (same directory) plus its own HTTP requests
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            assert (await http.get(f"/v1/jobs/{done[0].id}")).status_code == 200
            api_found = samples((await http.get("/metrics")).text)
    close_database(settings)
    assert value(api_found, "mediamill_jobs_total", status="completed", **task) == 3
    assert value(api_found, "mediamill_http_requests_total", method="GET", route="/v1/jobs/{job_id}",
                 status="200") == 1
    assert value(api_found, "mediamill_http_request_duration_seconds_count", method="GET",
                 route="/v1/jobs/{job_id}") == 1

    # A hung worker (stopped loop) no longer answers its liveness probe
    worker.signal(signal.SIGSTOP)
    try:
        with pytest.raises(httpx.TimeoutException):
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
                await http.get("/healthz")
    finally:
        worker.signal(signal.SIGCONT)

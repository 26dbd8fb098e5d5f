"""The webhook of a finished attempt is enqueued once, even when the hook runs twice for it.

A worker killed after its after_job hooks ran and before Redis completed the job makes the job run
again, on a new claim (a new processedOn) with the same attempt number: the second run's hook adds a
delivery with the same id, which BullMQ ignores."""

from __future__ import annotations

from types import SimpleNamespace

from mediamill.engine.broker import Broker
from mediamill.engine.middleware import RunningJob
from mediamill.engine.wire import JobData
from mediamill.tasks.context import JobInfo
from mediamill.webhooks.middleware import WebhookMiddleware


def _running(settings, processed_on: int) -> RunningJob:
    data = JobData.parse({"task": "enginetest.noop", "params": {}, "notify_url": "https://example.com/hook"},
                         "enginetest.noop")
    bull_job = SimpleNamespace(id="job_twice", processedOn=processed_on, data={})
    info = JobInfo(job_id="job_twice", task="enginetest.noop", queue="enginetest", attempt=1)
    return RunningJob(bull_job=bull_job, data=data, info=info, settings=settings, max_attempts=1, final=True)


async def test_a_rerun_of_the_same_attempt_adds_no_second_delivery(settings):
    hook = WebhookMiddleware(settings)
    await hook.on_worker_start(None)
    try:
        await hook.after_job(_running(settings, 1_000), {"ok": 1}, None)
        await hook.after_job(_running(settings, 9_000), {"ok": 1}, None)  # the run after the kill
    finally:
        await hook.on_worker_stop(None)
    broker = Broker(settings)
    try:
        deliveries = await broker.queue("webhooks").getJobs(["waiting", "active", "completed", "failed", "delayed"])
    finally:
        await broker.close()
    assert [job.id for job in deliveries] == ["whk_job_twice_1"]

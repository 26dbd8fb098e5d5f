"""The recurring jobs (hourly cleanup, the pipeline sweep): upserted idempotently, and the cleanup's
job cleans up through a real worker."""

from __future__ import annotations

from datetime import timedelta

from mediamill.engine.jobs import JobState
from mediamill.engine.schedules import ensure_schedules
from mediamill.storage import open_store
from mediamill.storage.artifact import utcnow

HOUR_MS = 3600 * 1000


async def test_ensure_schedules_upserts_each_schedule_once(client):
    queue = client.broker.queue("cleanup")
    assert await ensure_schedules(client.broker) == ["storage.cleanup:hourly", "pipelines.sweep:5min"]
    await ensure_schedules(client.broker)  # every worker start calls it again

    assert await queue.getJobSchedulersCount() == 2
    scheduler = await queue.getJobScheduler("storage.cleanup:hourly")
    assert scheduler["pattern"] == "0 * * * *" and scheduler["name"] == "storage.cleanup"
    assert scheduler["template"]["data"]["task"] == "storage.cleanup"
    assert scheduler["next"] % HOUR_MS == 0  # at the top of an hour
    sweep = await queue.getJobScheduler("pipelines.sweep:5min")
    assert int(sweep["every"]) == 300_000 and sweep["template"]["data"]["task"] == "pipelines.sweep"
    pending = await queue.getJobs(["delayed", "waiting"])
    assert sorted(job.data["task"] for job in pending) == ["pipelines.sweep", "storage.cleanup"]


async def test_scheduled_cleanup_runs_on_a_worker(client, worker, settings):
    store = open_store(settings)
    expired = store.put(b"an old output", key="old", expires_at=utcnow() - timedelta(minutes=5))
    fresh = store.put(b"a new output", key="new", expires_at=utcnow() + timedelta(hours=24))
    upload = store.put(b"an upload without expiry", key="upload")
    await ensure_schedules(client.broker)
    queue = client.broker.queue("cleanup")
    (pending,) = [job for job in await queue.getJobs(["delayed"]) if job.data["task"] == "storage.cleanup"]

    # When the pending iteration comes due (promoted, rather than waiting for the hour) on a cleanup worker
    async with worker(["cleanup"]):
        await pending.promote()
        status = await client.broker.wait(pending.id, timeout=120, queue="cleanup")

    assert status.state == JobState.completed, status.error
    assert status.result["expired_artifacts"]["artifacts"] == 1
    assert not store.exists(expired.id)
    assert store.exists(fresh.id) and store.exists(upload.id)
    # and the scheduler queued its next iteration
    (following,) = [job for job in await queue.getJobs(["delayed"]) if job.data["task"] == "storage.cleanup"]
    assert following.id != pending.id

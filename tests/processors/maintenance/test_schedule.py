"""The hourly cleanup scheduler: upserted idempotently, and its job cleans up through a real worker."""

from __future__ import annotations

from datetime import timedelta

from mediamill.engine.jobs import JobState
from mediamill.engine.schedules import ensure_schedules
from mediamill.storage import open_store
from mediamill.storage.artifact import utcnow

HOUR_MS = 3600 * 1000


async def test_ensure_schedules_upserts_one_hourly_cleanup(client):
    queue = client.broker.queue("cleanup")
    assert await ensure_schedules(client.broker) == ["storage.cleanup:hourly"]
    await ensure_schedules(client.broker)  # every worker start calls it again

    assert await queue.getJobSchedulersCount() == 1
    scheduler = await queue.getJobScheduler("storage.cleanup:hourly")
    assert scheduler["pattern"] == "0 * * * *" and scheduler["name"] == "storage.cleanup"
    assert scheduler["template"]["data"]["task"] == "storage.cleanup"
    assert scheduler["next"] % HOUR_MS == 0  # at the top of an hour
    delayed = await queue.getJobs(["delayed"])
    assert len(delayed) == 1 and delayed[0].data["task"] == "storage.cleanup"


async def test_scheduled_cleanup_runs_on_a_worker(client, worker, settings):
    store = open_store(settings)
    expired = store.put(b"an old output", key="old", expires_at=utcnow() - timedelta(minutes=5))
    fresh = store.put(b"a new output", key="new", expires_at=utcnow() + timedelta(hours=24))
    upload = store.put(b"an upload without expiry", key="upload")
    await ensure_schedules(client.broker)
    queue = client.broker.queue("cleanup")
    (pending,) = await queue.getJobs(["delayed"])

    # When the pending iteration comes due (promoted, rather than waiting for the hour) on a cleanup worker
    async with worker(["cleanup"]):
        await pending.promote()
        status = await client.broker.wait(pending.id, timeout=120, queue="cleanup")

    assert status.state == JobState.completed, status.error
    assert status.result["expired_artifacts"]["artifacts"] == 1
    assert not store.exists(expired.id)
    assert store.exists(fresh.id) and store.exists(upload.id)
    # and the scheduler queued its next iteration
    (following,) = await queue.getJobs(["delayed"])
    assert following.id != pending.id and following.data["task"] == "storage.cleanup"

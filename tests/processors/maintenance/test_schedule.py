"""The recurring jobs (hourly cleanup, the pipeline sweep): upserted idempotently, and the cleanup's
job cleans up through a real worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mediamill.engine.jobs import JobState
from mediamill.engine.schedules import describe_schedules, ensure_schedules
from mediamill.storage import open_store
from mediamill.storage.artifact import utcnow

HOUR_MS = 3600 * 1000


async def test_ensure_schedules_upserts_each_schedule_once(client):
    queue = client.broker.queue("cleanup")
    ids = ["storage.cleanup:hourly", "storage.cleanup:daily", "storage.cleanup:monthly", "pipelines.sweep:5min"]
    assert await ensure_schedules(client.broker) == ids
    await ensure_schedules(client.broker)  # every worker start calls it again

    assert await queue.getJobSchedulersCount() == 4
    scheduler = await queue.getJobScheduler("storage.cleanup:hourly")
    assert scheduler["pattern"] == "0 * * * *" and scheduler["name"] == "storage.cleanup"
    assert scheduler["template"]["data"]["task"] == "storage.cleanup"
    assert scheduler["template"]["data"]["params"]["types"] == ["expired_artifacts", "temp_files"]
    assert scheduler["next"] % HOUR_MS == 0  # at the top of an hour
    daily = await queue.getJobScheduler("storage.cleanup:daily")
    assert daily["pattern"] == "0 2 * * *" and "expired_links" in daily["template"]["data"]["params"]["types"]
    assert datetime.fromtimestamp(int(daily["next"]) / 1000, UTC).hour == 2  # the seed's 2 AM
    monthly = await queue.getJobScheduler("storage.cleanup:monthly")
    assert datetime.fromtimestamp(int(monthly["next"]) / 1000, UTC).day == 1
    sweep = await queue.getJobScheduler("pipelines.sweep:5min")
    assert int(sweep["every"]) == 300_000 and sweep["template"]["data"]["task"] == "pipelines.sweep"
    pending = await queue.getJobs(["delayed", "waiting"])
    assert sorted(job.data["task"] for job in pending) == ["pipelines.sweep"] + ["storage.cleanup"] * 3

    # `mediamill schedules` reads the same: BullMQ's next run for each, all installed.
    described = {row["id"]: row for row in await describe_schedules(client.broker)}
    assert list(described) == ids and all(row["installed"] for row in described.values())
    assert described["storage.cleanup:daily"]["next_run"] == datetime.fromtimestamp(int(daily["next"]) / 1000, UTC)
    assert described["pipelines.sweep:5min"]["when"] == "every 5 min"


async def test_schedules_not_yet_installed_get_their_next_run_computed(client):
    rows = await describe_schedules(client.broker)
    assert not any(row["installed"] for row in rows)
    daily = next(row for row in rows if row["id"] == "storage.cleanup:daily")
    assert daily["next_run"] > datetime.now(UTC) and (daily["next_run"].hour, daily["next_run"].minute) == (2, 0)


async def test_scheduled_cleanup_runs_on_a_worker(client, worker, settings):
    store = open_store(settings)
    expired = store.put(b"an old output", key="old", expires_at=utcnow() - timedelta(minutes=5))
    fresh = store.put(b"a new output", key="new", expires_at=utcnow() + timedelta(hours=24))
    upload = store.put(b"an upload without expiry", key="upload")
    await ensure_schedules(client.broker)
    queue = client.broker.queue("cleanup")
    (pending,) = [job for job in await queue.getJobs(["delayed"])
                  if job.data["task"] == "storage.cleanup" and "expired_artifacts" in job.data["params"]["types"]]

    # When the pending iteration comes due (promoted, rather than waiting for the hour) on a cleanup worker
    async with worker(["cleanup"]):
        await pending.promote()
        status = await client.broker.wait(pending.id, timeout=120, queue="cleanup")

    assert status.state == JobState.completed, status.error
    assert status.result["expired_artifacts"]["artifacts"] == 1
    assert not store.exists(expired.id)
    assert store.exists(fresh.id) and store.exists(upload.id)
    # and the scheduler queued its next iteration
    (following,) = [job for job in await queue.getJobs(["delayed"])
                    if job.data["task"] == "storage.cleanup" and "expired_artifacts" in job.data["params"]["types"]]
    assert following.id != pending.id

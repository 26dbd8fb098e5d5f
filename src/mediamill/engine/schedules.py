"""Recurring jobs as BullMQ job schedulers: upserted at worker start, one per id however many workers run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from mediamill.engine.broker import Broker
from mediamill.engine.wire import JobRequest
from mediamill.tasks.registry import get_task


@dataclass(frozen=True)
class Schedule:
    id: str  # the scheduler's id in BullMQ: upserting the same id again updates, never duplicates
    task: str
    repeat: dict  # BullMQ repeat options: {"pattern": cron} or {"every": ms}
    params: dict = field(default_factory=dict)


SCHEDULES: tuple[Schedule, ...] = (
    # Hourly at minute 0: expired outputs (24 h TTL by default) never outlive it by more than an hour;
    # pending uploads and temp files older than a day go (the asset seed's TEMP_FILES, hourly).
    Schedule(id="storage.cleanup:hourly", task="storage.cleanup", repeat={"pattern": "0 * * * *"},
             params={"types": ["expired_artifacts", "temp_files"]}),
    # Daily at 02:00 UTC, as the seed's EXPIRED_LINKS; derivatives of deleted artifacts (OLD_VARIANTS)
    # and records past their retention go in the same quiet hour.
    Schedule(id="storage.cleanup:daily", task="storage.cleanup", repeat={"pattern": "0 2 * * *"},
             params={"types": ["expired_links", "old_variants", "old_records", "old_emails"]}),
    # Monthly (the 1st, 03:00 UTC), as the seed's OLD_ANALYTICS: raw events past a year; rollups stay.
    Schedule(id="storage.cleanup:monthly", task="storage.cleanup", repeat={"pattern": "0 3 1 * *"},
             params={"types": ["old_analytics"]}),
    # A pipeline run that lost a step job (Redis outage between commit and enqueue) moves again
    # within five minutes.
    Schedule(id="pipelines.sweep:5min", task="pipelines.sweep", repeat={"every": 300_000}),
)


async def ensure_schedules(broker: Broker, schedules: tuple[Schedule, ...] = SCHEDULES) -> list[str]:
    """Create or update every schedule (idempotent); returns their ids."""
    for schedule in schedules:
        # prepare() validates the params and builds the same job data and options as a submit.
        job = broker.prepare(JobRequest(task=schedule.task, params=schedule.params))
        job.options.pop("jobId")  # the scheduler names each iteration's job itself
        await broker.queue(job.queue).upsertJobScheduler(schedule.id, schedule.repeat, schedule.task, job.data,
                                                         job.options)
    return [schedule.id for schedule in schedules]


async def describe_schedules(broker: Broker, schedules: tuple[Schedule, ...] = SCHEDULES) -> list[dict]:
    """Every schedule with its next run: BullMQ's own, once a worker serving its queue has upserted it,
    else computed from the repeat options (then `installed` is false)."""
    rows, installed = [], {}
    for queue in dict.fromkeys(get_task(schedule.task).queue for schedule in schedules):
        # The whole list per queue: bullmq-py's getJobScheduler raises for an id it does not hold.
        installed[queue] = {item["key"]: item for item in await broker.queue(queue).getJobSchedulers()}
    for schedule in schedules:
        queue = get_task(schedule.task).queue
        stored = installed[queue].get(schedule.id)
        next_ms = int(stored["next"]) if stored and stored.get("next") else None
        next_run = (datetime.fromtimestamp(next_ms / 1000, UTC) if next_ms is not None
                    else next_run_of(schedule.repeat, datetime.now(UTC)))
        rows.append({"id": schedule.id, "task": schedule.task, "queue": queue, "repeat": schedule.repeat,
                     "when": describe_repeat(schedule.repeat), "kinds": schedule.params.get("types", []),
                     "next_run": next_run, "installed": stored is not None})
    return rows


def next_run_of(repeat: dict, now: datetime) -> datetime:
    if "pattern" in repeat:
        from croniter import croniter

        return croniter(repeat["pattern"], now).get_next(datetime).astimezone(UTC)
    return now + timedelta(milliseconds=int(repeat["every"]))


def describe_repeat(repeat: dict) -> str:
    if "pattern" in repeat:
        return f"cron {repeat['pattern']} (UTC)"
    seconds = int(repeat["every"]) / 1000
    return f"every {seconds / 60:g} min" if seconds >= 60 else f"every {seconds:g} s"

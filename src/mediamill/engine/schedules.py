"""Recurring jobs as BullMQ job schedulers: upserted at worker start, one per id however many workers run."""

from __future__ import annotations

from dataclasses import dataclass, field

from mediamill.engine.broker import Broker
from mediamill.engine.wire import JobRequest


@dataclass(frozen=True)
class Schedule:
    id: str  # the scheduler's id in BullMQ: upserting the same id again updates, never duplicates
    task: str
    repeat: dict  # BullMQ repeat options: {"pattern": cron} or {"every": ms}
    params: dict = field(default_factory=dict)


SCHEDULES: tuple[Schedule, ...] = (
    # Hourly at minute 0: expired outputs (24 h TTL by default) never outlive it by more than an hour.
    Schedule(id="storage.cleanup:hourly", task="storage.cleanup", repeat={"pattern": "0 * * * *"}),
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

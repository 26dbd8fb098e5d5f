"""The queue health table: per queue its counts, paused, workers online, and the "no worker" flag.

One snapshot serves `GET /v1/queues`, `mediamill queues [--watch]`, the worker's periodic health
log event and `/metrics`, so they never disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from mediamill.engine.heartbeats import WorkerInfo, online_per_queue, read_workers
from mediamill.engine.queue_events import WATCHED_EVENTS, event_counts

# The columns of the table, in the seed's order (waiting includes prioritized jobs).
TABLE_COLUMNS = ("waiting", "active", "completed", "failed", "delayed", "paused")


@dataclass
class QueueHealth:
    name: str
    paused: bool
    concurrency: int
    counts: dict[str, int]
    workers: int
    stalled: int = 0
    removed: int = 0

    @property
    def no_workers(self) -> bool:
        """Jobs are waiting and no live worker process serves this queue: nothing will run them."""
        return self.workers == 0 and self.counts.get("waiting", 0) > 0

    def as_dict(self) -> dict:
        return {**asdict(self), "no_workers": self.no_workers}


@dataclass
class HealthSnapshot:
    queues: list[QueueHealth]
    workers: list[WorkerInfo]

    @property
    def flagged(self) -> list[str]:
        return [row.name for row in self.queues if row.no_workers]

    def log_fields(self) -> dict:
        """One structured log event: a row per queue, compact enough for one line."""
        table = {row.name: {**{col: row.counts.get(col, 0) for col in TABLE_COLUMNS}, "workers": row.workers,
                            **({"is_paused": True} if row.paused else {})}
                 for row in self.queues}
        return {"queues": table, "workers_online": len(self.workers), "no_workers": self.flagged}


async def health_snapshot(broker) -> HealthSnapshot:
    """Counts of every queue, plus the live workers and the stalled/removed totals, read now."""
    counts = await broker.counts()
    workers = await read_workers(broker.redis)
    online = online_per_queue(workers, list(counts))
    events = await event_counts(broker.redis)
    rows = []
    for name, row in counts.items():
        row = dict(row)
        paused = bool(row.pop("is_paused", 0))
        extra = {event: events.get((name, event), 0) for event in WATCHED_EVENTS}
        rows.append(QueueHealth(name=name, paused=paused, concurrency=broker.settings.policy(name).concurrency,
                                counts=row, workers=online[name], **extra))
    return HealthSnapshot(queues=rows, workers=workers)

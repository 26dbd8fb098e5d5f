"""What a worker process does besides jobs: heartbeats, the liveness mark, stalled/removed events and
the periodic queue health log event."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from mediamill.engine import heartbeats, metrics
from mediamill.engine.broker import Broker
from mediamill.engine.health import health_snapshot
from mediamill.engine.queue_events import QueueEventsReader
from mediamill.logs import get_logger
from mediamill.settings import Settings

log = get_logger("mediamill.worker")


class WorkerMonitor:
    """Started by WorkerService after its BullMQ workers exist; stopped before they close."""

    def __init__(self, settings: Settings, redis, queues: list[str], active_count, child_pids=list) -> None:
        self.settings = settings
        self.redis = redis
        self.info = heartbeats.WorkerInfo.for_this_process(queues)
        self.active_count = active_count  # () -> jobs running now
        self.child_pids = child_pids  # () -> pids of the task child processes
        interval = settings.heartbeat_interval_s
        self.events = QueueEventsReader(redis, self.info.id, list(settings.policies()),
                                        lock_ttl_s=heartbeats.ttl_for(interval))
        self.liveness_file: Path | None = settings.worker_liveness_file
        # Monotonic times of the last loop tick (liveness: the event loop runs) and of the last beat
        # Redis took (readiness: this worker is announced and can take jobs).
        self.last_tick = self.last_beat = time.monotonic()
        self._tasks: list[asyncio.Task] = []
        self._stopping = asyncio.Event()
        self._broker: Broker | None = None

    async def start(self) -> None:
        await self._beat()  # online before the first job can arrive
        self._tasks.append(asyncio.create_task(self._every(self.settings.heartbeat_interval_s, self._beat)))
        if self.settings.health_log_interval_s > 0:
            self._tasks.append(asyncio.create_task(
                self._every(self.settings.health_log_interval_s, self._log_health, first_delay=True)))

    def alive(self) -> bool:
        """Whether the event loop ticked recently (a hung loop stops ticking)."""
        return time.monotonic() - self.last_tick <= heartbeats.ttl_for(self.settings.heartbeat_interval_s)

    def ready(self) -> bool:
        """Whether Redis took this worker's heartbeat recently."""
        return time.monotonic() - self.last_beat <= heartbeats.ttl_for(self.settings.heartbeat_interval_s)

    async def _every(self, interval_s: float, action, first_delay: bool = False) -> None:
        # Stopped by an event, not by cancelling: redis-py can turn a cancel that lands mid-command
        # into a connection error, which this loop would take for a passing Redis hiccup.
        if first_delay and await self._stopped_within(interval_s):
            return
        while not self._stopping.is_set():
            try:
                await action()
            except Exception as exc:  # noqa: BLE001 - Redis away for a moment: try again next time
                log.warning("worker monitor step failed", step=action.__name__, error=str(exc))
            if await self._stopped_within(interval_s):
                return

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _beat(self) -> None:
        # The liveness part first: it must not depend on Redis (a Redis outage is no reason to
        # restart every worker).
        self.last_tick = time.monotonic()
        if self.liveness_file is not None:
            await asyncio.to_thread(_touch, self.liveness_file)
        metrics.record_children(self.child_pids())
        await heartbeats.beat(self.redis, self.info, self.settings.heartbeat_interval_s, self.active_count())
        self.last_beat = time.monotonic()
        await self.events.poll()

    def broker(self) -> Broker:
        """The producer side, for queue counts (the health log event and the worker's /metrics)."""
        if self._broker is None:
            self._broker = Broker(self.settings)
        return self._broker

    async def _log_health(self) -> None:
        snapshot = await health_snapshot(self.broker())
        fields = snapshot.log_fields()
        (log.warning if fields["no_workers"] else log.info)("queue health", **fields)

    async def stop(self) -> None:
        self._stopping.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        try:
            await self.events.close()
            await heartbeats.goodbye(self.redis, self.info.id)
        except Exception as exc:  # noqa: BLE001 - the record expires on its own anyway
            log.warning("could not remove the worker's heartbeat", error=str(exc))
        if self._broker is not None:
            await self._broker.close()


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()

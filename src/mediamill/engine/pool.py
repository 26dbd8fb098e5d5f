"""Long-lived task processes, one set per queue (models a queue's processors load stay warm between jobs)."""

from __future__ import annotations

import asyncio
from typing import Any

from mediamill.engine.call import Call, Callbacks
from mediamill.engine.child import ChildProcess, preload_task_modules
from mediamill.errors import Cancelled, JobTimeout, MediamillError, TaskFailure, WorkerCrashed
from mediamill.settings import Settings
from mediamill.tasks.registry import queue_task_modules


class ProcessPool:
    """Long-lived child processes, one set per queue, reused across jobs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.idle: dict[str, list[ChildProcess]] = {}
        self.busy: set[ChildProcess] = set()

    async def run(self, queue: str, call: Call, callbacks: Callbacks, cancel: asyncio.Event) -> Any:
        child = self._take(queue)
        healthy = False
        try:
            result = await child.run(call, callbacks, cancel)
            healthy = True
            return result
        except (Cancelled, JobTimeout, TaskFailure) as exc:
            # The child may still be inside the processor (or dead): never reuse it then.
            healthy = isinstance(exc, TaskFailure) and not isinstance(exc, WorkerCrashed) and child.alive
            raise
        except MediamillError:
            healthy = child.alive
            raise
        finally:
            self.busy.discard(child)
            if healthy:
                self.idle.setdefault(queue, []).append(child)
            else:
                await asyncio.get_running_loop().run_in_executor(None, child.kill)

    def _take(self, queue: str) -> ChildProcess:
        idle = self.idle.setdefault(queue, [])
        while idle:
            child = idle.pop()
            if child.alive:
                self.busy.add(child)
                return child
            child.kill()
        child = ChildProcess(self.settings, queue)
        self.busy.add(child)
        return child

    def prewarm(self, queue: str, count: int) -> None:
        idle = self.idle.setdefault(queue, [])
        while len(idle) < count:
            idle.append(ChildProcess(self.settings, queue))

    def warm_up(self, queues: list[str]) -> None:
        """At worker start: the fork server preloads these queues' task modules, and each queue with
        process tasks gets its first task process now, so its imports overlap the worker's own start."""
        modules = {queue: queue_task_modules(queue) for queue in queues}
        preload_task_modules(sorted({m for found in modules.values() for m in found}))
        for queue, found in modules.items():
            if found:
                self.prewarm(queue, 1)

    def child_pids(self) -> list[int]:
        children = [c for group in self.idle.values() for c in group] + list(self.busy)
        return [c.process.pid for c in children if c.process.pid]

    def close(self) -> None:
        idle = [child for group in self.idle.values() for child in group]
        for child in idle:  # all at once: they exit in parallel
            child.ask_to_exit()
        for child in idle:
            child.stop()
        for child in list(self.busy):  # still inside a processor after the grace period
            child.kill()
        self.idle.clear()
        self.busy.clear()

"""Long-lived task processes, one set per queue (models a queue's processors load stay warm between jobs)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from typing import Any

from mediamill.engine.call import Call, Callbacks
from mediamill.engine.child import CHILD_START_TIMEOUT_S, ChildProcess
from mediamill.engine.task_server import preload
from mediamill.errors import Cancelled, JobTimeout, MediamillError, TaskFailure, WorkerCrashed
from mediamill.settings import Settings
from mediamill.tasks.registry import queue_task_modules


class ProcessPool:
    """Long-lived child processes, one set per queue, reused across jobs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.idle: dict[str, list[ChildProcess]] = {}
        self.busy: set[ChildProcess] = set()
        # Task processes being started (warm_up): a job of that queue takes its queue's when it is there.
        self.warming: dict[str, concurrent.futures.Future] = {}

    async def run(self, queue: str, call: Call, callbacks: Callbacks, cancel: asyncio.Event) -> Any:
        child = await self._take(queue)
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

    async def _take(self, queue: str) -> ChildProcess:
        warming = self.warming.pop(queue, None)
        if warming is not None:
            with contextlib.suppress(Exception):  # a failed start: a new child is tried below
                self.idle.setdefault(queue, []).append(await asyncio.wrap_future(warming))
        idle = self.idle.setdefault(queue, [])
        while idle:
            child = idle.pop()
            if child.alive:
                self.busy.add(child)
                return child
            child.kill()
        child = await asyncio.wrap_future(self._start_child(queue))
        self.busy.add(child)
        return child

    def _start_child(self, queue: str) -> concurrent.futures.Future:
        """A new task process, started in a thread: starting one waits for the fork server, which imports
        the task modules before it forks its first child (seconds, in which the worker's event loop must
        go on renewing BullMQ's locks)."""
        future: concurrent.futures.Future = concurrent.futures.Future()

        def start() -> None:
            try:
                future.set_result(ChildProcess(self.settings, queue))
            except BaseException as exc:  # noqa: BLE001 - the waiting job sees it
                future.set_exception(exc)

        threading.Thread(target=start, daemon=True, name="mediamill-task-start").start()
        return future

    def warm_up(self, queues: list[str]) -> None:
        """At worker start: the fork server preloads these queues' task modules, and each
        queue with process tasks starts its first task process now, so its imports overlap the
        worker's own start instead of delaying its first job."""
        modules = {queue: queue_task_modules(queue) for queue in queues}
        preload(m for found in modules.values() for m in found)
        for queue, found in modules.items():
            if found and queue not in self.warming and not self.idle.get(queue):
                self.warming[queue] = self._start_child(queue)

    def child_pids(self) -> list[int]:
        children = [c for group in self.idle.values() for c in group] + list(self.busy)
        return [c.process.pid for c in children if c.process.pid]

    def close(self) -> None:
        for warming in self.warming.values():  # started, never used: stopped with the idle ones
            with contextlib.suppress(Exception):
                self.idle.setdefault("", []).append(warming.result(timeout=CHILD_START_TIMEOUT_S))
        self.warming.clear()
        idle = [child for group in self.idle.values() for child in group]
        for child in idle:  # all at once: they exit in parallel
            child.ask_to_exit()
        for child in idle:
            child.stop()
        for child in list(self.busy):  # still inside a processor after the grace period
            child.kill()
        self.idle.clear()
        self.busy.clear()


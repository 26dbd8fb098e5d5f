"""Runs a processor off the worker's event loop: inline (async), in a thread, or in a child process.

The event loop must stay free: BullMQ renews job locks there, and a blocked loop makes a healthy
job look stalled and run twice. CPU-heavy processors therefore run in long-lived child processes
(one pool per queue, so models loaded by a queue's processors stay warm between jobs). A child is
killed at the hard timeout or when a cancelled job does not stop cooperatively, and replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import Any

from mediamill.errors import Cancelled, JobTimeout, MediamillError, TaskFailure, WorkerCrashed, rebuild
from mediamill.settings import Settings
from mediamill.storage import open_store
from mediamill.storage.artifact import Artifact
from mediamill.tasks.context import JobInfo, TaskContext
from mediamill.tasks.registry import task_sources

# After a cancel, a processor has this long to stop on its own before its process is killed.
CANCEL_GRACE_S = 5.0
# The hard timeout fires this long after the cooperative deadline, so ctx.check() usually wins.
HARD_TIMEOUT_SLACK_S = 2.0
# How often a child process checks that its worker is still alive.
PARENT_POLL_S = 0.2
# A new child imports mediamill and every processor module before it can take a job; that time
# must not count against the job's timeout (on a loaded machine it takes seconds).
CHILD_START_TIMEOUT_S = 120.0
# An idle child asked to exit (its pipe closed) is killed if it is still there after this long.
CHILD_EXIT_GRACE_S = 3.0


@dataclass
class Call:
    """Everything a processor run needs, in picklable form."""

    job: JobInfo
    params: dict
    inputs: list[dict]
    scratch: str
    ttl_hours: float | None
    limits: dict
    timeout_s: float
    # Filled in by the executor: the deadline on this process's monotonic clock.
    deadline: float | None = field(default=None)


class Callbacks:
    """Where a running processor's progress and log lines go, on the event loop."""

    def __init__(self, on_progress, on_log) -> None:
        self.on_progress, self.on_log = on_progress, on_log


def run_call(call: Call, settings: Settings, reporter, cancel_event) -> Any:
    """The body shared by every isolation mode: build the context, run the processor, wire the result."""
    from mediamill.engine.wire import to_wire
    from mediamill.security import Limits
    from mediamill.tasks.registry import get_task

    spec = get_task(call.job.task)
    params = spec.parse_params(call.params)
    from pathlib import Path

    ctx = TaskContext(
        job=call.job,
        store=open_store(settings),
        scratch=Path(call.scratch),
        inputs=[Artifact.model_validate(raw) for raw in call.inputs],
        reporter=reporter,
        limits=Limits.model_validate(call.limits),
        ttl_hours=call.ttl_hours,
        cancel_event=cancel_event,
        deadline=time.monotonic() + call.timeout_s,
        settings=settings,
    )
    return to_wire(spec.fn(ctx, params))


# -- inline and thread ----------------------------------------------------------------------
class _LoopReporter:
    def __init__(self, loop: asyncio.AbstractEventLoop, callbacks: Callbacks) -> None:
        self.loop, self.callbacks = loop, callbacks

    def progress(self, percent: float, step: str | None) -> None:
        self.loop.call_soon_threadsafe(self.callbacks.on_progress, percent, step)

    def log(self, message: str, fields: dict) -> None:
        self.loop.call_soon_threadsafe(self.callbacks.on_log, message, fields)


async def run_inline(call: Call, settings: Settings, callbacks: Callbacks, cancel: asyncio.Event,
                     store=None) -> Any:
    from mediamill.engine.wire import to_wire
    from mediamill.tasks.registry import get_task

    spec = get_task(call.job.task)
    params = spec.parse_params(call.params)
    cancel_flag = threading.Event()
    from pathlib import Path

    ctx = TaskContext(
        job=call.job, store=store or open_store(settings), scratch=Path(call.scratch),
        inputs=[Artifact.model_validate(raw) for raw in call.inputs],
        reporter=_LoopReporter(asyncio.get_running_loop(), callbacks),
        limits=settings.limits.model_validate(call.limits), ttl_hours=call.ttl_hours,
        cancel_event=cancel_flag, deadline=time.monotonic() + call.timeout_s, settings=settings,
    )
    work = asyncio.ensure_future(spec.fn(ctx, params))
    return to_wire(await _race(work, cancel, call.timeout_s, on_cancel=lambda: (cancel_flag.set(), work.cancel())))


def in_daemon_thread(fn, *args) -> asyncio.Future:
    """Run fn(*args) in a new daemon thread; the future resolves on the loop.

    Not a ThreadPoolExecutor: its threads are joined at interpreter exit, so one processor that
    ignores ctx.check() past its timeout would keep the worker from ever exiting.
    """
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(outcome: tuple[bool, Any]) -> None:
        if not future.done():
            ok, value = outcome
            future.set_result(value) if ok else future.set_exception(value)

    def target() -> None:
        try:
            outcome = (True, fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
            outcome = (False, exc)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
            loop.call_soon_threadsafe(settle, outcome)

    threading.Thread(target=target, daemon=True, name="mediamill-task").start()
    return future


async def run_in_thread(call: Call, settings: Settings, callbacks: Callbacks, cancel: asyncio.Event) -> Any:
    cancel_flag = threading.Event()
    reporter = _LoopReporter(asyncio.get_running_loop(), callbacks)
    work = in_daemon_thread(run_call, call, settings, reporter, cancel_flag)
    # A thread cannot be killed: past the timeout the job fails and the thread is told to stop.
    return await _race(work, cancel, call.timeout_s + HARD_TIMEOUT_SLACK_S, on_cancel=cancel_flag.set)


async def _race(work: asyncio.Future, cancel: asyncio.Event, timeout: float, on_cancel) -> Any:
    cancel_wait = asyncio.ensure_future(cancel.wait())
    try:
        done, _ = await asyncio.wait({work, cancel_wait}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if work in done:
            return work.result()
        on_cancel()
        if cancel_wait in done:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(work), CANCEL_GRACE_S)
            raise Cancelled("the job was cancelled")
        raise JobTimeout(f"the job ran past its timeout of {timeout:.0f} s")
    finally:
        cancel_wait.cancel()


# -- child processes ----------------------------------------------------------------------
class _PipeReporter:
    def __init__(self, conn) -> None:
        self.conn = conn

    def progress(self, percent: float, step: str | None) -> None:
        self.conn.send(("progress", percent, step))

    def log(self, message: str, fields: dict) -> None:
        self.conn.send(("log", message, fields))


def exit_with_parent(parent_pid: int) -> None:
    """End this process as soon as its worker is gone.

    A worker killed with SIGKILL cannot stop its children; an orphan would keep running its job
    while stalled-job detection hands that job to another worker (running it twice). The pipe
    only reports EOF when the child next reads, which a busy processor does not do.
    """
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_S)
        os._exit(70)

    threading.Thread(target=watch, daemon=True, name="mediamill-parent-watch").start()


def child_main(conn, cancel_event, settings_data: dict, parent_pid: int, sources: tuple[str, ...]) -> None:
    """Entry point of a pool process: run calls until the pipe closes. `sources`: the parent's task sources."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    exit_with_parent(parent_pid)
    from mediamill.logs import configure_logging
    from mediamill.tasks.registry import add_task_sources, load_tasks

    settings = Settings.model_validate(settings_data)
    configure_logging(settings)
    add_task_sources(sources)
    load_tasks()
    conn.send(("ready",))
    while True:
        try:
            call = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            result = run_call(call, settings, _PipeReporter(conn), cancel_event)
            conn.send(("done", result))
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
            conn.send(("error", _describe(exc)))


def _describe(exc: BaseException) -> dict:
    """An error as plain data for the pipe; retryable needs no place: it belongs to the class."""
    ours = isinstance(exc, MediamillError)
    return {
        # A TaskFailure travels under the name of the foreign type it stands for.
        "kind": getattr(exc, "kind", None) or type(exc).__name__,
        "message": exc.message if ours else (str(exc) or type(exc).__name__),
        "trace": "".join(traceback.format_exception(exc)),
        "field": getattr(exc, "field", None),
    }


def rebuild_error(info: dict) -> MediamillError:
    """The child's error as the parent raises it: mediamill's own classes survive the trip."""
    error = rebuild(info["kind"], info["message"], field=info.get("field"), trace=info["trace"])
    error.child_trace = info["trace"]
    return error


class ChildProcess:
    def __init__(self, settings: Settings) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child_conn = context.Pipe()
        self.cancel = context.Event()
        self.process = context.Process(
            target=child_main, args=(child_conn, self.cancel, settings.model_dump(mode="json"), os.getpid(),
                  task_sources()),
            daemon=True, name="mediamill-task",
        )
        self.process.start()
        child_conn.close()
        self.ready = False

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()

    def ask_to_exit(self) -> None:
        """Close the pipe: an idle child's loop ends and it exits normally (see `stop`)."""
        with contextlib.suppress(OSError):
            self.conn.close()

    def stop(self, grace_s: float = CHILD_EXIT_GRACE_S) -> None:
        """End an idle child cleanly, killing it only if it does not go within `grace_s`.

        A killed child runs no finalizers: semaphores its libraries made stay registered with
        multiprocessing's resource tracker, which then warns about leaks when the worker exits.
        """
        self.ask_to_exit()
        self.process.join(timeout=grace_s)
        self.kill()

    async def run(self, call: Call, callbacks: Callbacks, cancel: asyncio.Event) -> Any:
        loop = asyncio.get_running_loop()
        messages: asyncio.Queue = asyncio.Queue()
        fd = self.conn.fileno()

        def readable() -> None:
            try:
                while self.conn.poll():
                    messages.put_nowait(self.conn.recv())
            except (EOFError, OSError):
                loop.remove_reader(fd)
                messages.put_nowait(("crashed",))

        loop.add_reader(fd, readable)
        try:
            if not self.ready:
                await self._started(messages, cancel)
            self.cancel.clear()
            self.conn.send(call)
            return await _race(
                asyncio.ensure_future(self._collect(messages, callbacks)), cancel,
                call.timeout_s + HARD_TIMEOUT_SLACK_S, on_cancel=self.cancel.set,
            )
        finally:
            with contextlib.suppress(Exception):
                loop.remove_reader(fd)

    async def _started(self, messages: asyncio.Queue, cancel: asyncio.Event) -> None:
        """Wait for a new child's "ready" (its imports done) before its first job's clock starts."""
        first = asyncio.ensure_future(messages.get())
        cancel_wait = asyncio.ensure_future(cancel.wait())
        try:
            done, _ = await asyncio.wait({first, cancel_wait}, timeout=CHILD_START_TIMEOUT_S,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            first.cancel()
            cancel_wait.cancel()
        if first in done and first.result()[0] == "ready":
            self.ready = True
        elif cancel_wait in done:
            raise Cancelled("the job was cancelled")
        else:
            code = self.process.exitcode
            raise WorkerCrashed(f"the task process did not start (exit code {code})")

    async def _collect(self, messages: asyncio.Queue, callbacks: Callbacks) -> Any:
        while True:
            message = await messages.get()
            kind = message[0]
            if kind == "progress":
                callbacks.on_progress(message[1], message[2])
            elif kind == "log":
                callbacks.on_log(message[1], message[2])
            elif kind == "done":
                return message[1]
            elif kind == "error":
                raise rebuild_error(message[1])
            else:
                code = self.process.exitcode
                raise WorkerCrashed(f"the task process died (exit code {code})")


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
        child = ChildProcess(self.settings)
        self.busy.add(child)
        return child

    def prewarm(self, queue: str, count: int) -> None:
        idle = self.idle.setdefault(queue, [])
        while len(idle) < count:
            idle.append(ChildProcess(self.settings))

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


def call_as_dict(call: Call) -> dict:
    return asdict(call)

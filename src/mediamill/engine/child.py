"""The task process and its protocol with the worker: one long-lived child runs calls sent down a pipe.

Worker -> child: a `Call`. Child -> worker: ("ready",) once its imports are done, then per call any
number of ("progress", percent, step) and ("log", message, fields), and one ("done", result) or
("error", description). An error travels as plain data (class name, message, field, traceback)
and is raised again in the worker as the same class of mediamill's tree (`errors.rebuild`).

Task processes start warm: they are forked from a fork server (multiprocessing's "forkserver") that
imported this module and the task modules of the worker's queues once (`engine.task_server`), so
a replacement child (after a crash, a timeout or a memory kill) costs a fork, not a new interpreter
importing mediamill. Keep this module's imports light all the same: the fork server imports it first.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import threading
import time
import traceback
from typing import Any

from mediamill.engine.call import HARD_TIMEOUT_SLACK_S, Call, Callbacks, race, run_call
from mediamill.engine.pids import pid_alive
from mediamill.engine.task_server import CONTEXT
from mediamill.errors import Cancelled, MediamillError, MemoryLimitExceeded, WorkerCrashed, rebuild
from mediamill.settings import Settings
from mediamill.tasks.registry import queue_task_modules, registry_state

# How often a child process checks that its worker is still alive (where no pidfd can tell it).
PARENT_POLL_S = 0.2
# A new child (the first one: the fork server's imports) may take seconds on a loaded machine before
# it can take a job; that time must not count against the job's timeout.
CHILD_START_TIMEOUT_S = 120.0
# An idle child asked to exit (its pipe closed) is killed if it is still there after this long.
CHILD_EXIT_GRACE_S = 3.0
# How often the worker reads a busy task process's resident memory (when it has a ceiling).
MEMORY_POLL_S = 0.1
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def resident_mb(pid: int) -> float:
    """Resident set size of a process (Linux /proc), MB; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE_SIZE / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


class PipeReporter:
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
    only reports EOF when the child next reads, which a busy processor does not do. The worker is
    not our parent (the fork server is), so a pidfd of the worker says when it ends.
    """
    def watch() -> None:
        try:
            pidfd = os.pidfd_open(parent_pid)
        except (AttributeError, OSError):  # no pidfds here, or the worker is already gone
            pidfd = None
        if pidfd is not None:
            select.select([pidfd], [], [])  # readable once the process has ended
        else:
            while pid_alive(parent_pid):
                time.sleep(PARENT_POLL_S)
        os._exit(70)

    threading.Thread(target=watch, daemon=True, name="mediamill-parent-watch").start()


def child_main(conn, cancel_event, settings_data: dict, parent_pid: int, registry: dict,
               preload: list[str], environ: dict[str, str]) -> None:
    """Entry point of a pool process: run calls until the pipe closes.

    `registry`: the worker's task sources and declarations; `preload`: the task modules of its queue,
    imported before "ready" (already imported when the fork server preloaded them); `environ`: the
    worker's environment now (the fork server's is the one it had when the server started).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    exit_with_parent(parent_pid)
    os.environ.clear()
    os.environ.update(environ)
    # Here, not at the top: the child's own start-up, after the parent watch is in place.
    from mediamill.logs import configure_logging
    from mediamill.tasks.registry import import_task_modules, restore_registry_state

    settings = Settings.model_validate(settings_data)
    configure_logging(settings)
    restore_registry_state(registry)
    import_task_modules(preload)
    conn.send(("ready",))
    while True:
        try:
            call = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            result = run_call(call, settings, PipeReporter(conn), cancel_event)
            conn.send(("done", result))
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
            conn.send(("error", describe_error(exc)))


def describe_error(exc: BaseException) -> dict:
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
    def __init__(self, settings: Settings, queue: str) -> None:
        self.conn, child_conn = CONTEXT.Pipe()
        self.cancel = CONTEXT.Event()
        self.process = CONTEXT.Process(
            target=child_main, args=(child_conn, self.cancel, settings.model_dump(mode="json"), os.getpid(),
                                     registry_state(), queue_task_modules(queue), dict(os.environ)),
            daemon=True, name="mediamill-task",
        )
        self.process.start()
        child_conn.close()
        self.ready = False
        self.memory_exceeded: MemoryLimitExceeded | None = None

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
            work = asyncio.ensure_future(self._collect(messages, callbacks))
            watch = asyncio.ensure_future(self._watch_memory(call.memory_limit_mb, work)) if call.memory_limit_mb else None
            try:
                return await race(work, cancel, call.timeout_s + HARD_TIMEOUT_SLACK_S, on_cancel=self.cancel.set)
            except WorkerCrashed:
                if self.memory_exceeded is not None:
                    raise self.memory_exceeded from None
                raise
            finally:
                if watch is not None:
                    watch.cancel()
        finally:
            with contextlib.suppress(Exception):
                loop.remove_reader(fd)

    async def _watch_memory(self, limit_mb: int, work: asyncio.Future) -> None:
        """An RSS watchdog from the worker's side (an address-space rlimit would also count the
        reserved-but-unused memory of numpy and friends): past the ceiling, the child is killed and
        the job fails with MemoryLimitExceeded; the pool replaces the child."""
        pid = self.process.pid
        while not work.done():
            used = resident_mb(pid)
            if used > limit_mb:
                self.memory_exceeded = MemoryLimitExceeded(
                    f"memory limit exceeded ({limit_mb} MB): the task process reached {used:.0f} MB and was killed")
                self.process.kill()  # its pipe closes: the call ends as a crash, raised as this error
                return
            await asyncio.sleep(MEMORY_POLL_S)

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
            raise WorkerCrashed(f"the task process did not start (exit code {self.process.exitcode})")

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
                # The pipe closes a moment before the process is reaped: wait for its exit code.
                await asyncio.to_thread(self.process.join, 2.0)
                raise WorkerCrashed(f"the task process died (exit code {self.process.exitcode})")

"""Running a processor in the worker process: inline on the event loop (async tasks) or in a daemon thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

from mediamill.engine.call import HARD_TIMEOUT_SLACK_S, Call, Callbacks, prepare, race, run_call
from mediamill.engine.wire import to_wire
from mediamill.settings import Settings


class LoopReporter:
    """A processor's progress and log lines, handed to the event loop (safe from any thread)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, callbacks: Callbacks) -> None:
        self.loop, self.callbacks = loop, callbacks

    def progress(self, percent: float, step: str | None) -> None:
        self.loop.call_soon_threadsafe(self.callbacks.on_progress, percent, step)

    def log(self, message: str, fields: dict) -> None:
        self.loop.call_soon_threadsafe(self.callbacks.on_log, message, fields)


async def run_inline(call: Call, settings: Settings, callbacks: Callbacks, cancel: asyncio.Event,
                     store=None) -> Any:
    cancel_flag = threading.Event()
    spec, params, ctx = prepare(call, settings, LoopReporter(asyncio.get_running_loop(), callbacks), cancel_flag,
                                store=store)
    work = asyncio.ensure_future(spec.fn(ctx, params))
    return to_wire(await race(work, cancel, call.timeout_s, on_cancel=lambda: (cancel_flag.set(), work.cancel())))


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
    reporter = LoopReporter(asyncio.get_running_loop(), callbacks)
    work = in_daemon_thread(run_call, call, settings, reporter, cancel_flag)
    # A thread cannot be killed: past the timeout the job fails and the thread is told to stop.
    return await race(work, cancel, call.timeout_s + HARD_TIMEOUT_SLACK_S, on_cancel=cancel_flag.set)

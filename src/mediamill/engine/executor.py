"""Runs a processor off the worker's event loop: inline (async), in a thread, or in a child process.

The event loop must stay free: BullMQ renews job locks there, and a blocked loop makes a healthy
job look stalled and run twice. CPU-heavy processors therefore run in long-lived child processes
(one pool per queue, so models loaded by a queue's processors stay warm between jobs). A child is
killed at the hard timeout or when a cancelled job does not stop cooperatively, and replaced.

    call.py     the picklable Call, the one place a TaskContext is built, the cancel/timeout race
    threads.py  inline (async processors) and daemon-thread runs in the worker process
    child.py    the task process and its pipe protocol (errors come back as their own class)
    pool.py     the task processes per queue
"""

from __future__ import annotations

import asyncio
from typing import Any

from mediamill.engine.call import Call, Callbacks
from mediamill.engine.pool import ProcessPool
from mediamill.engine.threads import run_in_thread, run_inline
from mediamill.settings import Settings


async def execute(isolation: str, queue: str, call: Call, *, settings: Settings, pool: ProcessPool,
                  callbacks: Callbacks, cancel: asyncio.Event, store=None) -> Any:
    """Run one call in the task's isolation mode; its wire result, or the error it ended with."""
    if isolation == "inline":
        return await run_inline(call, settings, callbacks, cancel, store=store)
    if isolation == "thread":
        return await run_in_thread(call, settings, callbacks, cancel)
    return await pool.run(queue, call, callbacks, cancel)

"""race(): a processor's result, or Cancelled / JobTimeout, whether the cancel signal is the
worker's CancelSignal (woken by callback) or a plain asyncio.Event (watched by a task)."""

from __future__ import annotations

import asyncio

import pytest

from mediamill.engine.call import CancelSignal, race
from mediamill.errors import Cancelled, JobTimeout


async def work(seconds: float, log: list) -> str:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        log.append("stopped")
        raise
    return "done"


@pytest.mark.parametrize("signal", [CancelSignal, asyncio.Event])
async def test_the_result_when_the_work_ends_first(signal):
    cancel = signal()
    assert await race(asyncio.ensure_future(work(0.01, [])), cancel, 30, on_cancel=lambda: None) == "done"
    if isinstance(cancel, CancelSignal):
        assert cancel._callbacks == [], "the race leaves no callback behind"


@pytest.mark.parametrize("signal", [CancelSignal, asyncio.Event])
async def test_a_cancel_stops_the_work_and_raises_cancelled(signal):
    cancel, log = signal(), []
    task = asyncio.ensure_future(work(30, log))
    asyncio.get_running_loop().call_later(0.05, cancel.set)
    with pytest.raises(Cancelled):
        await race(task, cancel, 30, on_cancel=task.cancel)
    assert log == ["stopped"]


async def test_a_signal_set_before_the_race_cancels_at_once():
    cancel, log = CancelSignal(), []
    cancel.set()
    task = asyncio.ensure_future(work(30, log))
    with pytest.raises(Cancelled):
        await race(task, cancel, 30, on_cancel=task.cancel)
    assert task.cancelled(), "stopped before it even started"


@pytest.mark.parametrize("signal", [CancelSignal, asyncio.Event])
async def test_running_past_the_timeout_raises_job_timeout(signal):
    log = []
    task = asyncio.ensure_future(work(30, log))
    with pytest.raises(JobTimeout):
        await race(task, signal(), 0.05, on_cancel=task.cancel)
    await asyncio.sleep(0)
    assert task.cancelled() or log == ["stopped"]

"""Small waiting helpers shared by the engine tests (polling real state, never sleeping blindly)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

from conftest import read_events


async def until(predicate: Callable[[], object], timeout: float = 30, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


async def until_event(log: Path, event: str, count: int = 1, timeout: float = 30) -> list:
    def found():
        rows = [row for row in read_events(log) if row[0] == event]
        return rows if len(rows) >= count else None

    return await until(found, timeout, f"{count} x {event!r} in {log.name}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False

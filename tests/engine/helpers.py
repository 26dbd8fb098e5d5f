"""Small waiting helpers shared by the engine tests (polling real state, never sleeping blindly)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest


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


# Apply to a test to run it on the embedded Redis and on the machine's Redis service.
both_redis = pytest.mark.parametrize("redis_url", ["embedded", pytest.param("external", marks=pytest.mark.external)],
                                     indirect=True)


def read_events(path: Path) -> list[tuple[str, str, int, int, float]]:
    """The lines tasks_for_tests wrote: (event, job id, attempt, pid, time)."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        event, job_id, attempt, pid, stamp = line.split()
        rows.append((event, job_id, int(attempt), int(pid), float(stamp)))
    return rows

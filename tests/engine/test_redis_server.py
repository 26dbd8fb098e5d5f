"""The embedded Redis: survives a hard kill with its queue intact (AOF), is shared, stops with its last user."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest

from mediamill.engine.redis_server import EmbeddedRedis

JOBS = 1_000


@pytest.mark.engine_settings(queue={"concurrency": 50})
async def test_hard_kill_and_restart_keeps_1000_waiting_jobs(client, worker, settings):
    server = EmbeddedRedis(settings.data_dir)
    ids = await client.broker.submit_bulk([{"task": "enginetest.noop"} for _ in range(JOBS)])
    await asyncio.sleep(1.5)  # appendfsync everysec: the AOF is on disk a second later

    old_pid = server.server_pid()
    server.kill_hard()
    # The next user finds the dead server (stale pid file and socket) and starts a new one on the AOF.
    EmbeddedRedis(settings.data_dir).acquire()
    assert server.server_pid() not in (None, old_pid)

    counts = await client.broker.queue("enginetest").getJobCounts("waiting", "active", "completed")
    assert counts == {"waiting": JOBS, "active": 0, "completed": 0}
    async with worker(["enginetest"]):
        for job_id in ids:
            await client.job(job_id).wait(timeout=120)
    counts = await client.broker.queue("enginetest").getJobCounts("waiting", "completed", "failed")
    assert counts == {"waiting": 0, "completed": JOBS, "failed": 0}


def _hold(data_dir, *, then: str = "exit") -> subprocess.Popen:
    """Another process that takes a lease on the embedded server, prints its pid, then waits for stdin."""
    code = (
        "import sys; from mediamill.engine.redis_server import EmbeddedRedis\n"
        f"server = EmbeddedRedis({str(data_dir)!r}); server.acquire()\n"
        "print(server.server_pid(), flush=True); sys.stdin.readline()\n"
        + ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)\n" if then == "crash" else "")
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return proc


def _finish(proc: subprocess.Popen) -> None:
    proc.stdin.write("\n")
    proc.stdin.flush()
    proc.wait(30)


@pytest.mark.slow
def test_processes_share_one_server_and_the_last_one_stops_it(data_dir):
    mine = EmbeddedRedis(data_dir)
    mine.acquire()
    other = _hold(data_dir)
    try:
        assert int(other.stdout.readline()) == mine.server_pid()
        # When this process leaves first, the other one still uses the server
        pid = mine.server_pid()
        mine.release()
        assert mine.server_pid() == pid and mine.socket.exists()
    finally:
        _finish(other)
    # Then the last one to leave stops it
    assert mine.server_pid() is None and not mine.socket.exists()


def test_a_crashed_holder_does_not_keep_the_server_alive(data_dir):
    other = _hold(data_dir, then="crash")
    server_pid = int(other.stdout.readline())
    _finish(other)
    assert other.returncode == -signal.SIGKILL
    # Its guard sees no live lease holder and stops the server; the next user starts a fresh one.
    _wait_dead(server_pid)
    mine = EmbeddedRedis(data_dir)
    mine.acquire()
    assert mine.server_pid() not in (None, server_pid)
    mine.release()
    assert mine.server_pid() is None


def test_a_dead_server_leaves_a_stale_pid_and_socket_that_are_cleaned(data_dir):
    first = EmbeddedRedis(data_dir)
    first.acquire()
    old_pid = first.server_pid()
    first.kill_hard()
    assert first.pid_file.exists() and first.socket.exists()

    second = EmbeddedRedis(data_dir)
    second.acquire()
    assert second.server_pid() not in (None, old_pid)
    second.release()
    first.release()


def test_a_hung_server_is_replaced(data_dir):
    first = EmbeddedRedis(data_dir)
    first.acquire()
    hung = first.server_pid()
    os.kill(hung, signal.SIGSTOP)  # alive, but answers nothing
    try:
        second = EmbeddedRedis(data_dir)
        second.acquire()
        assert second.server_pid() not in (None, hung)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(hung):
            time.sleep(0.05)
        assert not _alive(hung)
    finally:
        if _alive(hung):
            os.kill(hung, signal.SIGKILL)
    second.release()
    first.release()


def _alive(pid: int) -> bool:
    from helpers import pid_alive

    return pid_alive(pid)


def _wait_dead(pid: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid), f"process {pid} is still alive after {timeout} s"

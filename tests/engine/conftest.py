"""Engine test fixtures: a test-only queue and tasks, external-Redis variants, real worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from mediamill.engine.connection import release_embedded
from mediamill.settings import Settings

HERE = Path(__file__).resolve().parent
# The test tasks live in tests/engine/tasks_for_tests.py; worker children (spawned) and worker
# subprocesses import them by this name, with this directory on their path. The variables are set
# only while an engine test runs (autouse fixture below), not for the rest of the suite.
TEST_ENV = {"MEDIAMILL_TASK_MODULES": "tasks_for_tests"}
import tasks_for_tests  # noqa: E402 - registers the test tasks in this process
from seed_helpers import node  # noqa: E402,F401 - the fixture of the seed contract tests


@pytest.fixture(autouse=True)
def engine_test_env(monkeypatch) -> None:
    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)

QUEUE = tasks_for_tests.QUEUE
EXTERNAL_REDIS = "redis://127.0.0.1:6379"
# Another test session (a colleague, CI) may use the same Redis service at the same time: each
# session claims a database of its own with this key, and clears only mediamill's keys in it.
DB_LOCK_KEY = "mediamill-tests:claimed-by"


def clear_mediamill_keys(url: str) -> None:
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter("mediamill:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start:start + 1000])
    client.close()


@pytest.fixture(scope="session")
def external_db() -> str:
    """A database of the machine's Redis service claimed for this session; skip when it is absent."""
    token = f"{os.getpid()}-{time.time()}"
    for db in range(15, 0, -1):
        client = redis.Redis.from_url(f"{EXTERNAL_REDIS}/{db}", socket_connect_timeout=1)
        try:
            claimed = client.set(DB_LOCK_KEY, token, nx=True, ex=3600)
        except redis.RedisError as exc:
            pytest.skip(f"the external Redis at {EXTERNAL_REDIS} is unreachable ({exc})")
        if claimed:
            client.close()
            break
        client.close()
    else:
        pytest.skip(f"every database of {EXTERNAL_REDIS} is claimed by other test sessions")
    url = f"{EXTERNAL_REDIS}/{db}"
    yield url
    client = redis.Redis.from_url(url)
    if client.get(DB_LOCK_KEY) == token.encode():
        client.delete(DB_LOCK_KEY)
    client.close()


@pytest.fixture
def redis_url(request) -> str | None:
    """None for the embedded Redis; a claimed, cleared database of the service when parametrised so."""
    if getattr(request, "param", "embedded") == "embedded":
        yield None
        return
    url = request.getfixturevalue("external_db")
    clear_mediamill_keys(url)
    yield url
    clear_mediamill_keys(url)


def queue_override(**fields) -> dict:
    base = {"concurrency": 4, "backoff_ms": 100, "lock_duration_ms": 30_000, "stalled_interval_ms": 30_000}
    base.update(fields)
    return base


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "engine_settings(queue={...}, **fields): tune the test settings "
                            "(queue= overrides the enginetest queue's policy)")


@pytest.fixture
def settings(request, data_dir: Path, redis_url: str | None) -> Settings:
    """Like the root fixture, plus the test queue; on the Redis selected by `redis_url`.

    `@pytest.mark.engine_settings(queue={"attempts": 4}, tasks={...})` tunes it for one test.
    """
    marker = request.node.get_closest_marker("engine_settings")
    tuning = dict(marker.kwargs) if marker else {}
    queues = {name: {"backoff_ms": 100} for name in Settings().policies()}
    queues[QUEUE] = queue_override(**tuning.pop("queue", {}))
    fields = {"log_format": "json", "log_level": "warning", "shutdown_grace_s": 5, **tuning}
    yield Settings(data_dir=data_dir, redis_url=redis_url, queues=queues, **fields)
    release_embedded(Settings(data_dir=data_dir))


class WorkerProcess:
    """A real `mediamill worker` subprocess sharing the test's data dir (and so its Redis)."""

    def __init__(self, settings: Settings, queues: list[str], log_path: Path, env: dict[str, str]) -> None:
        self.log_path, self.env = log_path, env
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "mediamill", "worker", "--queues", ",".join(queues)],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = 30) -> WorkerProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b"worker started" in self.log_path.read_bytes():
                return self
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited at start: {self.output()}")
            time.sleep(0.05)
        raise AssertionError(f"worker not ready within {timeout} s: {self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 60) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


@pytest.fixture
def worker_process(settings: Settings, tmp_path: Path):
    """Factory: `worker_process(["enginetest"], QUEUES__ENGINETEST__CONCURRENCY="1")` starts a real worker.

    Keyword arguments become MEDIAMILL_<KEY> environment variables of that worker.
    """
    started: list[WorkerProcess] = []

    def factory(queues: list[str] | None = None, ready: bool = True, **env_overrides: str) -> WorkerProcess:
        env = {key: value for key, value in os.environ.items() if not key.startswith("MEDIAMILL_")}
        env.update({
            "PYTHONPATH": os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "MEDIAMILL_CONFIG": "/nonexistent/mediamill.toml",
            "MEDIAMILL_DATA_DIR": str(settings.data_dir),
            "MEDIAMILL_TASK_MODULES": "tasks_for_tests",
            "MEDIAMILL_LOG_FORMAT": "json",
            "MEDIAMILL_LOG_LEVEL": "info",
            "MEDIAMILL_SHUTDOWN_GRACE_S": "5",
            f"MEDIAMILL_QUEUES__{QUEUE.upper()}__CONCURRENCY": "4",
            f"MEDIAMILL_QUEUES__{QUEUE.upper()}__BACKOFF_MS": "100",
        })
        if settings.redis_url:
            env["MEDIAMILL_REDIS_URL"] = settings.redis_url
        env.update({f"MEDIAMILL_{key}": str(value) for key, value in env_overrides.items()})
        worker = WorkerProcess(settings, queues or [QUEUE], tmp_path / f"worker-{len(started)}.log", env)
        started.append(worker)
        return worker.wait_ready() if ready else worker

    yield factory
    for worker in started:
        worker.stop()

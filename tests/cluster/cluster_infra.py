"""The processes of the multi-host test, each started inside its host's namespace.

infra: Redis 7 (AOF, noeviction), a PostgreSQL made by initdb in a temp dir, moto's S3 server.
api and workers: `mediamill api` / `mediamill worker`, each with a data dir of its own and only
network addresses in its environment (no socket, no SQLite file, no local storage path is shared).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cluster_hosts import Host

HERE = Path(__file__).resolve().parent
REDIS_PORT, PG_PORT, S3_PORT, API_PORT = 6379, 5432, 5000, 8000
BUCKET = "mediamill-cluster"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "mediamill-test", "AWS_SECRET_ACCESS_KEY": "mediamill-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def missing_reason() -> str | None:
    if shutil.which("redis-server") is None:
        return "the multi-host test needs a redis-server binary"
    if postgres_bin() is None:
        return "the multi-host test needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin)"
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        return "the multi-host test runs PostgreSQL as the `postgres` user, which does not exist here"
    return None


def wait_port(address: str, port: int, what: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            socket.create_connection((address, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on {address}:{port} within {timeout} s:\n{log.read_text()[-3000:]}")


class Processes:
    """Every process started, stopped in reverse order at the end (SIGTERM, then SIGKILL)."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.temp_dirs: list[str] = []

    def start(self, host: Host, name: str, argv: list[str], env: dict[str, str], **kw) -> tuple[subprocess.Popen, Path]:
        log = self.logs / f"{name}.log"
        proc = host.popen(argv, env=env, log=log, **kw)
        self.procs.append((name, proc))
        return proc, log

    def stop(self, proc: subprocess.Popen, grace: float = 40) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def close(self) -> None:
        for _, proc in reversed(self.procs):
            self.stop(proc, grace=20)
        for path in self.temp_dirs:
            shutil.rmtree(path, ignore_errors=True)


def start_infra(infra: Host, procs: Processes) -> dict[str, str]:
    """Redis, PostgreSQL and S3 on the infra host; returns the settings every other host uses."""
    base_env = {"PATH": os.environ["PATH"], "HOME": "/nonexistent", "LANG": "C.UTF-8"}
    redis_dir = Path(tempfile.mkdtemp(prefix="mm-cluster-redis-"))
    procs.temp_dirs.append(str(redis_dir))
    redis, redis_log = procs.start(infra, "redis", [
        "redis-server", "--bind", infra.address, "--port", str(REDIS_PORT), "--dir", str(redis_dir),
        "--appendonly", "yes", "--maxmemory-policy", "noeviction", "--save", "", "--protected-mode", "no",
    ], base_env)
    # PostgreSQL refuses to run as root: its temp dir belongs to the postgres user.
    pg_dir = Path(tempfile.mkdtemp(prefix="mm-cluster-pg-"))
    procs.temp_dirs.append(str(pg_dir))
    shutil.chown(pg_dir, "postgres", "postgres")
    pg_bin = postgres_bin()
    subprocess.run(["runuser", "-u", "postgres", "--", str(pg_bin / "initdb"), "-D", str(pg_dir / "data"),
                    "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
                   check=True, capture_output=True, timeout=120)
    with open(pg_dir / "data" / "pg_hba.conf", "a") as hba:
        hba.write(f"host all all {infra.address.rsplit('.', 1)[0]}.0/24 trust\n")
    postgres, pg_log = procs.start(infra, "postgres", [
        str(pg_bin / "postgres"), "-D", str(pg_dir / "data"), "-k", str(pg_dir), "-h", infra.address,
        "-p", str(PG_PORT), "-c", "fsync=off", "-c", "max_connections=200",
    ], base_env, user="postgres")
    s3, s3_log = procs.start(infra, "s3", [sys.executable, "-m", "moto.server", "-H", infra.address, "-p", str(S3_PORT)],
                             {**base_env, **AWS_ENV})
    wait_port(infra.address, REDIS_PORT, "redis", redis, redis_log)
    wait_port(infra.address, PG_PORT, "postgres", postgres, pg_log)
    wait_port(infra.address, S3_PORT, "moto S3", s3, s3_log)
    _wait_pg_ready(pg_bin, infra.address)
    import boto3

    boto3.client("s3", endpoint_url=f"http://{infra.address}:{S3_PORT}", aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
                 aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1",
                 ).create_bucket(Bucket=BUCKET)
    return {
        "MEDIAMILL_REDIS_URL": f"redis://{infra.address}:{REDIS_PORT}/0",
        "MEDIAMILL_DATABASE_URL": f"postgresql+psycopg://postgres@{infra.address}:{PG_PORT}/postgres",
        "MEDIAMILL_STORAGE_URL": f"s3://{BUCKET}/mediamill",
        "MEDIAMILL_STORAGE_ENDPOINT_URL": f"http://{infra.address}:{S3_PORT}",
    }


def _wait_pg_ready(pg_bin: Path, address: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if subprocess.run([str(pg_bin / "pg_isready"), "-h", address, "-p", str(PG_PORT)],
                          capture_output=True).returncode == 0:
            return
        time.sleep(0.3)
    raise RuntimeError("PostgreSQL did not become ready")


def mediamill_env(shared: dict[str, str], data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIAMILL_") and not k.startswith("AWS_")}
    env.update(AWS_ENV)
    env.update(shared)
    env.update({
        "PYTHONPATH": os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "MEDIAMILL_CONFIG": "/nonexistent/mediamill.toml",
        "MEDIAMILL_DATA_DIR": str(data_dir),
        "MEDIAMILL_LOG_FORMAT": "json",
        "MEDIAMILL_TASK_MODULES": "cluster_tasks",
        "MEDIAMILL_QUEUES__CLUSTERTEST__CONCURRENCY": "1",
    })
    env.update(extra)
    return env

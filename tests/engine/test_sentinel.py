"""MEDIAMILL_REDIS_URL=redis+sentinel://...: a real primary, a replica and three sentinels started here.

The primary is failed over (SENTINEL FAILOVER) in the middle of a stream of jobs submitted through
the API: the worker and the API follow the new primary, and every job completes exactly once.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
from helpers import read_events, until

from mediamill.engine.redis_urls import parse_sentinel_url
from mediamill.errors import ConfigError
from mediamill.testing import free_port

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs a redis-server binary")
MASTER = "mmha"
BEFORE, AFTER = 20, 20  # jobs submitted before the failover and after the new primary is announced


class RedisSet:
    """A primary, a replica and three sentinels on loopback, each in its own directory."""

    def __init__(self, root: Path) -> None:
        self.root, self.procs = root, []
        self.primary, self.replica = free_port(), free_port()
        self.sentinels = [free_port() for _ in range(3)]

    def _start(self, name: str, args: list[str]) -> None:
        home = self.root / name
        home.mkdir(parents=True)
        with open(home / "out.log", "ab") as out:
            self.procs.append(subprocess.Popen(["redis-server", *args], cwd=home, stdout=out, stderr=subprocess.STDOUT))

    def start(self) -> RedisSet:
        base = ["--bind", "127.0.0.1", "--appendonly", "yes", "--maxmemory-policy", "noeviction", "--save", ""]
        self._start("primary", ["--port", str(self.primary), *base])
        self._start("replica", ["--port", str(self.replica), *base, "--replicaof", "127.0.0.1", str(self.primary)])
        for port in self.sentinels:
            conf = self.root / f"sentinel-{port}.conf"  # sentinels rewrite their config: one file each
            conf.write_text(f"port {port}\nbind 127.0.0.1\nsentinel monitor {MASTER} 127.0.0.1 {self.primary} 2\n"
                            f"sentinel down-after-milliseconds {MASTER} 2000\nsentinel failover-timeout {MASTER} 10000\n")
            self._start(f"sentinel-{port}", [str(conf), "--sentinel"])
        return self

    def url(self) -> str:
        return "redis+sentinel://" + ",".join(f"127.0.0.1:{p}" for p in self.sentinels) + f"/{MASTER}"

    def master_port(self) -> int | None:
        try:
            with redis.Redis(port=self.sentinels[0], socket_timeout=2) as sentinel:
                found = sentinel.execute_command("SENTINEL", "get-master-addr-by-name", MASTER)
        except redis.RedisError:
            return None
        return int(found[1]) if found else None

    def ready(self) -> bool:
        """The replica in sync and every sentinel knows the replica and the other sentinels."""
        try:
            for port in self.sentinels:
                with redis.Redis(port=port, socket_timeout=2, decode_responses=True) as sentinel:
                    state = sentinel.sentinel_master(MASTER)
                    if int(state["num-slaves"]) < 1 or int(state["num-other-sentinels"]) < 2:
                        return False
            with redis.Redis(port=self.replica, socket_timeout=2, decode_responses=True) as replica:
                return replica.info("replication").get("master_link_status") == "up"
        except redis.RedisError:
            return False

    def stop(self) -> None:
        for proc in self.procs:
            proc.kill()
        for proc in self.procs:
            proc.wait(10)


@pytest.fixture
def redis_set(tmp_path):
    servers = RedisSet(tmp_path / "redis").start()
    yield servers
    servers.stop()


@pytest.fixture
def redis_url(redis_set):  # the engine fixtures (settings, worker_process) use this URL
    return redis_set.url()


def test_sentinel_urls_are_parsed_or_rejected_by_name():
    hosts, master, options = parse_sentinel_url("redis+sentinel://:pw@h1:26379,h2:26380/mymaster/2?sentinel_password=s")
    assert hosts == [("h1", 26379), ("h2", 26380)] and master == "mymaster"
    assert options == {"db": 2, "password": "pw", "sentinel_password": "s"}
    for bad in ("redis+sentinel://h1/mymaster", "redis+sentinel://h1:1", "redis+sentinel://h1:1/m?nope=1"):
        with pytest.raises(ConfigError) as caught:
            parse_sentinel_url(bad)
        assert "MEDIAMILL_REDIS_URL" in caught.value.message


@pytest.mark.slow
async def test_primary_failover_during_a_stream_of_jobs_loses_nothing(redis_set, worker_process, settings, tmp_path):
    await until(redis_set.ready, 60, "the replica and the sentinels to find each other")
    log = tmp_path / "events.log"
    worker = worker_process(QUEUES__ENGINETEST__CONCURRENCY="4")
    api_port = free_port()
    api_log = open(tmp_path / "api.log", "ab")
    api = subprocess.Popen([sys.executable, "-m", "mediamill", "api", "--host", "127.0.0.1", "--port", str(api_port)],
                           env=_env_of(worker), stdout=api_log, stderr=subprocess.STDOUT)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", timeout=30) as client:
            await _until_up(client, api)
            first = redis_set.master_port()
            ids = []
            started = time.monotonic()
            params = {"log": str(log), "seconds": 0.2}
            for _ in range(BEFORE):
                ids.append(await _submit(client, params))
                await asyncio.sleep(0.1)
            # The sentinels promote the replica; the old primary becomes its replica.
            with redis.Redis(port=redis_set.sentinels[0]) as sentinel:
                sentinel.execute_command("SENTINEL", "FAILOVER", MASTER)
            failover_at = time.monotonic()
            while redis_set.master_port() in (None, first):  # the stream goes on during the switch
                assert time.monotonic() - failover_at < 60, "no new primary within 60 s"
                ids.append(await _submit(client, params))
                await asyncio.sleep(0.1)
            switched_s = time.monotonic() - failover_at
            during = len(ids) - BEFORE
            for _ in range(AFTER):
                ids.append(await _submit(client, params))
                await asyncio.sleep(0.1)
            states = await _final_states(client, ids, timeout=180)
            drained = time.monotonic() - started
    finally:
        api.terminate()
        api.wait(30)
        api_log.close()
    assert redis_set.master_port() == redis_set.replica
    assert states == {"completed": len(ids)}, (states, worker.output()[-3000:])
    done = [row[1] for row in read_events(log) if row[0] == "done"]
    assert set(ids) <= set(done), "a job was lost"
    assert len(done) == len(set(done)), "a job ran to its end twice"
    print("sentinel: " + json.dumps({"jobs": len(ids), "lost": 0, "ran_twice": 0,
                                     "extra_from_lost_answers": len(done) - len(ids),
                                     "submitted_during_switch": during, "submitted_after": AFTER,
                                     "failover_to_new_primary_s": round(switched_s, 1),
                                     "stream_to_drained_s": round(drained, 1)}))


def _env_of(worker) -> dict[str, str]:
    import os

    env = {key: value for key, value in os.environ.items() if not key.startswith("MEDIAMILL_")}
    env.update({key: value for key, value in worker.env.items() if key.startswith(("MEDIAMILL_", "PYTHONPATH"))})
    return env


async def _until_up(client: httpx.AsyncClient, api: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert api.poll() is None, "the API exited at start"
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError("the API did not become ready")


async def _submit(client: httpx.AsyncClient, params: dict) -> str:
    # A submit that reaches the old primary mid-switch is refused or has no answer: a producer
    # retries. (A retried submit whose first answer was lost may have made a job too: counted apart.)
    body = {"task": "enginetest.work", "params": params}
    for _ in range(40):
        try:
            answer = await client.post("/v1/jobs", json=body)
        except httpx.TransportError:
            answer = None
        if answer is not None and answer.status_code == 202:
            return answer.json()["id"]
        await asyncio.sleep(0.5)
    raise AssertionError(f"could not submit: {answer.status_code if answer else 'no answer'} {answer.text if answer else ''}")


async def _final_states(client: httpx.AsyncClient, ids: list[str], timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        states: dict[str, int] = {}
        for job_id in ids:
            answer = await client.get(f"/v1/jobs/{job_id}")
            status = answer.json().get("status", f"http {answer.status_code}") if answer.status_code == 200 else "?"
            states[status] = states.get(status, 0) + 1
        if set(states) <= {"completed", "failed", "cancelled"} or time.monotonic() > deadline:
            return states
        await asyncio.sleep(1)

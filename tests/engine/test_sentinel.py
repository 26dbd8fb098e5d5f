"""MEDIAMILL_REDIS_URL=redis+sentinel://...: a real primary, a replica and three sentinels started here.

The primary is failed over (SENTINEL FAILOVER) in the middle of a stream of jobs submitted through
the API: the worker and the API follow the new primary, and every job completes exactly once. Then
the primary crashes (SIGKILL) in such a stream: the sentinels promote the replica and both follow
again. What a crash can lose is shown without luck: jobs the primary acknowledged while the replica
was cut off are gone after the promotion, unless submits wait for the replica
(`redis_wait_replicas`, Redis WAIT), which then refuses to acknowledge what it cannot confirm.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
from helpers import read_events, until

from mediamill import constants as C
from mediamill.engine.broker import Broker
from mediamill.engine.redis_urls import parse_sentinel_url
from mediamill.engine.wire import JobRequest
from mediamill.errors import ConfigError, NotReplicated
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

    def crash_primary(self) -> None:
        self.procs[0].send_signal(signal.SIGKILL)  # procs[0] is the primary (start order)
        self.procs[0].wait(10)

    def cut_replication(self) -> None:
        """The replica frozen (SIGSTOP) and its link dropped by the primary, so nothing more reaches it."""
        os.kill(self.procs[1].pid, signal.SIGSTOP)
        with redis.Redis(port=self.primary) as primary:
            primary.execute_command("CLIENT", "KILL", "TYPE", "replica")

    def resume_replica(self) -> None:
        os.kill(self.procs[1].pid, signal.SIGCONT)

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
    async with _api_beside(worker, tmp_path) as client:
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


@pytest.mark.slow
async def test_a_crashed_primary_during_a_stream_of_jobs(redis_set, worker_process, settings, tmp_path):
    """SIGKILL, not a planned failover: the sentinels notice after down-after (2 s) and promote the replica."""
    await until(redis_set.ready, 60, "the replica and the sentinels to find each other")
    log = tmp_path / "events.log"
    worker = worker_process(QUEUES__ENGINETEST__CONCURRENCY="4")
    async with _api_beside(worker, tmp_path) as client:
        params = {"log": str(log), "seconds": 0.2}
        before = []
        for _ in range(BEFORE):
            before.append(await _submit(client, params))
            await asyncio.sleep(0.1)
        redis_set.crash_primary()
        crashed_at = time.monotonic()
        during = []
        while redis_set.master_port() != redis_set.replica:  # the stream goes on: submits retry
            assert time.monotonic() - crashed_at < 60, "no new primary within 60 s"
            during.append(await _submit(client, params))
            await asyncio.sleep(0.1)
        promoted_s = time.monotonic() - crashed_at
        after = [await _submit(client, params) for _ in range(AFTER)]
        states = await _final_states(client, after, timeout=120)
        assert states == {"completed": AFTER}, (states, worker.output()[-3000:])  # both reconnected
        earlier = await _final_states(client, before + during, timeout=30)
    done = [row[1] for row in read_events(log) if row[0] == "done"]
    lost = [job_id for job_id in before + during if job_id not in done]
    print("sentinel crash: " + json.dumps({
        "jobs": len(before + during + after), "submitted_during_switch": len(during),
        "crash_to_promoted_s": round(promoted_s, 1), "lost": len(lost), "states_before_and_during": earlier,
        "ran_to_end_twice": len(done) - len(set(done))}))


@pytest.mark.slow
async def test_what_a_crash_loses_and_what_waiting_for_the_replica_keeps(redis_set, settings):
    """The order is forced: the replica is cut off (frozen, its link dropped) while the primary acknowledges jobs."""
    await until(redis_set.ready, 60, "the replica and the sentinels to find each other")
    plain = Broker(settings)
    waiting = Broker(settings.model_copy(update={"redis_wait_replicas": 1, "redis_wait_timeout_ms": 300}))
    job = JobRequest(task="enginetest.work", params={"log": "/dev/null"})
    try:
        kept = [(await waiting.submit(job)).id for _ in range(3)]  # the replica confirmed each one
        redis_set.cut_replication()
        try:
            acknowledged = [(await plain.submit(job)).id for _ in range(5)]  # the primary's word only
            with pytest.raises(NotReplicated) as refused:
                await waiting.submit(job)
            assert "0 of 1 replica" in refused.value.message
            redis_set.crash_primary()
        finally:
            redis_set.resume_replica()
        await until(lambda: redis_set.master_port() == redis_set.replica, 60, "the replica to be promoted")
        with redis.Redis(port=redis_set.replica) as promoted:
            def on_new_primary(ids):
                return [i for i in ids if promoted.exists(f"{C.KEY_PREFIX}:enginetest:{i}")]
            assert on_new_primary(kept) == kept
            assert on_new_primary(acknowledged) == []  # acknowledged, then lost with the primary
        # The trade-off: with no replica left, a waiting submit is refused instead of risked.
        with pytest.raises(NotReplicated):
            await waiting.submit(job)
    finally:
        await plain.close()
        await waiting.close()
    print("sentinel crash, replica cut off: " + json.dumps({
        "acknowledged_by_primary_only": len(acknowledged), "lost": len(acknowledged),
        "acknowledged_after_wait": len(kept), "kept": len(kept)}))


@contextlib.asynccontextmanager
async def _api_beside(worker, tmp_path: Path):
    """`mediamill api` in its own process on the worker's Redis and data, and a client of it once it is up."""
    api_port = free_port()
    with open(tmp_path / "api.log", "ab") as api_log:
        api = subprocess.Popen([sys.executable, "-m", "mediamill", "api", "--host", "127.0.0.1", "--port", str(api_port)],
                               env=_env_of(worker), stdout=api_log, stderr=subprocess.STDOUT)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", timeout=30) as client:
                await _until_up(client, api)
                yield client
        finally:
            api.terminate()
            api.wait(30)


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

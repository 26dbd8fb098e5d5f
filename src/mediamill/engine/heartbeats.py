"""Worker heartbeats: each worker process announces itself in Redis, so "workers online" is true.

Layout (under WORKERS_KEY):
- `WORKERS_KEY` is a sorted set of worker ids scored by their last beat (epoch ms): the index;
- `WORKERS_KEY:<id>` holds the worker's record as JSON, with a TTL of a few beat intervals.

A worker that dies without saying goodbye drops out when its record expires; its index entry is
pruned by the next reader. Reading is one pipeline (prune, range) plus one MGET, whatever the count.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass, field

from mediamill import constants as C

# A record outlives this many missed beats before the worker counts as gone.
MISSED_BEATS = 3


@dataclass
class WorkerInfo:
    id: str
    host: str
    pid: int
    queues: list[str]
    started: float  # epoch seconds
    beat: float = field(default_factory=time.time)  # epoch seconds of the last beat
    active: int = 0  # jobs running at the last beat

    @classmethod
    def for_this_process(cls, queues: list[str]) -> WorkerInfo:
        host = socket.gethostname()
        pid = os.getpid()
        return cls(id=f"{host}:{pid}:{uuid.uuid4().hex[:6]}", host=host, pid=pid, queues=list(queues),
                   started=time.time())


def record_key(worker_id: str) -> str:
    return f"{C.WORKERS_KEY}:{worker_id}"


def ttl_for(interval_s: float) -> int:
    return max(2, int(interval_s * MISSED_BEATS + 0.999))


async def beat(redis, info: WorkerInfo, interval_s: float, active: int = 0) -> None:
    """Write (or refresh) this worker's record and index entry."""
    info.beat = time.time()
    info.active = active
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(record_key(info.id), json.dumps(asdict(info)), ex=ttl_for(interval_s))
        pipe.zadd(C.WORKERS_KEY, {info.id: int(info.beat * 1000)})
        await pipe.execute()


async def goodbye(redis, worker_id: str) -> None:
    """Remove this worker's record at a clean stop (it stops counting at once, not at TTL expiry)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(record_key(worker_id))
        pipe.zrem(C.WORKERS_KEY, worker_id)
        await pipe.execute()


async def read_workers(redis, max_age_s: float = 3600.0) -> list[WorkerInfo]:
    """Every worker whose record has not expired, oldest start first."""
    now_ms = int(time.time() * 1000)
    async with redis.pipeline(transaction=False) as pipe:
        # Index entries older than any TTL we hand out belong to workers that died long ago.
        pipe.zremrangebyscore(C.WORKERS_KEY, "-inf", now_ms - int(max_age_s * 1000))
        pipe.zrange(C.WORKERS_KEY, 0, -1)
        _, ids = await pipe.execute()
    if not ids:
        return []
    raw = await redis.mget([record_key(worker_id) for worker_id in ids])
    workers, gone = [], []
    for worker_id, value in zip(ids, raw, strict=True):
        if value is None:
            gone.append(worker_id)
            continue
        workers.append(WorkerInfo(**json.loads(value)))
    if gone:
        await redis.zrem(C.WORKERS_KEY, *gone)
    return sorted(workers, key=lambda w: (w.started, w.id))


def online_per_queue(workers: list[WorkerInfo], queues: list[str]) -> dict[str, int]:
    """How many live worker processes serve each of `queues` (0 for a queue nobody serves)."""
    online = dict.fromkeys(queues, 0)
    for worker in workers:
        for queue in worker.queues:
            if queue in online:
                online[queue] += 1
    return online

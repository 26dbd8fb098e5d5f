"""Stalled and removed jobs: read from BullMQ's per-queue event streams, logged and counted once.

BullMQ's scripts append a "stalled" event when a job's lock lapsed and it went back to wait, and a
"removed" event when a job was deleted. Every worker process could read the streams, but then each
event would be logged and counted once per process: one process at a time holds a lock and reads,
from a cursor kept in Redis, so the next holder goes on where the last one stopped.
Counts live in a Redis hash (EVENT_COUNTS_KEY) that `/metrics` and `GET /v1/queues` read.
"""

from __future__ import annotations

from bullmq.queue_keys import QueueKeys

from mediamill import constants as C
from mediamill.logs import get_logger

log = get_logger("mediamill.events")

WATCHED_EVENTS = ("stalled", "removed")
READ_BATCH = 1_000

# Take the lock if free, or extend it if ours; 1 when we hold it afterwards.
_HOLD_LOCK = """
local owner = redis.call('GET', KEYS[1])
if owner == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
elseif owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
_RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def events_key(queue: str) -> str:
    return QueueKeys(C.KEY_PREFIX).toKey(queue, "events")  # BullMQ's own name for the stream


def count_field(queue: str, event: str) -> str:
    return f"{queue}:{event}"


class QueueEventsReader:
    """Call `poll()` periodically (the worker's heartbeat does); it reads only while holding the lock."""

    def __init__(self, redis, owner: str, queues: list[str], lock_ttl_s: float) -> None:
        self.redis = redis
        self.owner = owner
        self.queues = queues
        self.lock_ttl_ms = int(lock_ttl_s * 1000)
        self._hold = redis.register_script(_HOLD_LOCK)
        self._release = redis.register_script(_RELEASE_LOCK)

    async def poll(self) -> dict[str, int]:
        """Read what is new; returns {"<queue>:<event>": n} of what this call counted."""
        if not await self._hold(keys=[C.EVENTS_READER_KEY], args=[self.owner, self.lock_ttl_ms]):
            return {}
        cursors = await self.redis.hmget(C.EVENTS_CURSOR_KEY, self.queues)
        counted: dict[str, int] = {}
        for queue, cursor in zip(self.queues, cursors, strict=True):
            await self._read_queue(queue, cursor, counted)
        return counted

    async def _read_queue(self, queue: str, cursor: str | None, counted: dict[str, int]) -> None:
        key = events_key(queue)
        if cursor is None:
            # First reader ever: start from now, do not replay (and count) the retained history.
            newest = await self.redis.xrevrange(key, count=1)
            await self.redis.hset(C.EVENTS_CURSOR_KEY, queue, newest[0][0] if newest else "0-0")
            return
        while True:
            batch = await self.redis.xrange(key, min=f"({cursor}", count=READ_BATCH)
            if not batch:
                return
            found: dict[str, int] = {}
            for entry_id, fields in batch:
                cursor = entry_id
                event = fields.get("event")
                if event in WATCHED_EVENTS:
                    self._log(queue, event, fields)
                    name = count_field(queue, event)
                    found[name] = found.get(name, 0) + 1
            async with self.redis.pipeline(transaction=True) as pipe:
                for name, n in found.items():
                    pipe.hincrby(C.EVENT_COUNTS_KEY, name, n)
                pipe.hset(C.EVENTS_CURSOR_KEY, queue, cursor)
                await pipe.execute()
            for name, n in found.items():
                counted[name] = counted.get(name, 0) + n
            if len(batch) < READ_BATCH:
                return

    @staticmethod
    def _log(queue: str, event: str, fields: dict) -> None:
        if event == "stalled":
            log.warning("job stalled", queue=queue, job_id=fields.get("jobId"))
        else:
            log.info("job removed", queue=queue, job_id=fields.get("jobId"), prev=fields.get("prev"))

    async def close(self) -> None:
        await self._release(keys=[C.EVENTS_READER_KEY], args=[self.owner])


async def event_counts(redis) -> dict[tuple[str, str], int]:
    """{(queue, event): count} of every stalled/removed event counted so far."""
    raw = await redis.hgetall(C.EVENT_COUNTS_KEY)
    counts = {}
    for name, value in raw.items():
        queue, _, event = name.rpartition(":")
        counts[(queue, event)] = int(value)
    return counts

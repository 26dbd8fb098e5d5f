"""BullMQ's own per-minute metrics (the worker's `metrics` option), read back as minute-aligned series.

With the option on, BullMQ's finishing script keeps, per queue and per kind (completed, failed), a
hash `<prefix>:<queue>:metrics:<kind>` (`mediamill:images:metrics:completed`; a seed queue has its own prefix) (count: all so far; prevTS: the first finish of the minute being
counted; prevCount: count at prevTS) and a list `<hash>:data` of finished minutes' counts, newest
first, written when the first job of a later minute finishes (empty minutes as zeros). Its head is
therefore the minute before prevTS's; the minute of prevTS is still open (count - prevCount), and
minutes after it saw no job at all.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

KINDS = ("completed", "failed")


async def per_minute(redis: Redis, queue_key: str, kind: str, minutes: int, now_ms: int | None = None) -> list[int]:
    """`kind` jobs finished in each of the last `minutes` minutes (the current one last) in the queue
    whose keys start with `queue_key` (`<prefix>:<queue>`), from BullMQ's metrics keys."""
    now_minute = (now_ms if now_ms is not None else int(time.time() * 1000)) // 60000
    key = f"{queue_key}:metrics:{kind}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hmget(key, "count", "prevTS", "prevCount")
        pipe.lrange(f"{key}:data", 0, minutes - 1)
        (count, prev_ts, prev_count), data = await pipe.execute()
    series = [0] * minutes
    if prev_ts is None:
        return series  # nothing finished since the metrics were enabled
    open_minute = int(prev_ts) // 60000
    counts = {open_minute: int(count or 0) - int(prev_count or 0)}
    for back, value in enumerate(data, start=1):
        counts[open_minute - back] = int(value)
    for index in range(minutes):
        series[index] = counts.get(now_minute - (minutes - 1 - index), 0)
    return series


async def throughput(redis: Redis, queue_keys: list[str], minutes: int = 60,
                     now_ms: int | None = None) -> dict[str, list[int]]:
    """Completed and failed per minute over the queues (`<prefix>:<queue>` each), summed, oldest minute first."""
    series = {kind: [0] * minutes for kind in KINDS}
    for queue_key in queue_keys:
        for kind in KINDS:
            for index, value in enumerate(await per_minute(redis, queue_key, kind, minutes, now_ms)):
                series[kind][index] += value
    return series

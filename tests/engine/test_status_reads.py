"""A job's status is read in one pipelined round trip, and still right when Redis lost BullMQ's scripts."""

from __future__ import annotations

import pytest
from tasks_for_tests import QUEUE

from mediamill.errors import NotFound


def count_checkouts(redis, monkeypatch) -> list[int]:
    """Counts the pool's connection checkouts: one per command sent alone, one per pipeline."""
    pool, seen = redis.connection_pool, [0]
    checkout = pool.get_connection

    async def counted(*args, **kwargs):
        seen[0] += 1
        return await checkout(*args, **kwargs)

    monkeypatch.setattr(pool, "get_connection", counted)
    return seen


async def test_status_is_one_round_trip_and_survives_a_script_flush(client, worker, monkeypatch):
    async with worker([QUEUE]):
        handle = await client.submit("enginetest.noop")
        assert (await handle.result(timeout=30)) == {"ok": True}
    redis = client.broker.redis
    await handle.status()  # the first read loads what it needs
    checkouts = count_checkouts(redis, monkeypatch)
    status = await handle.status()
    assert checkouts[0] == 1
    assert status.state == "completed" and status.result == {"ok": True} and status.queue == QUEUE
    assert await handle.wait(timeout=5) == status
    assert checkouts[0] == 2  # the stream's end and the status together

    await redis.script_flush()  # a restarted Redis has no scripts: the read falls back and loads them
    again = await handle.status()
    assert again.state == "completed" and again.result == {"ok": True}
    checkouts[0] = 0
    assert (await handle.status()) == again and checkouts[0] == 1  # loaded again: one round trip


async def test_status_of_a_missing_job_names_it(client):
    with pytest.raises(NotFound, match="no job 'job_nothing'"):
        await client.broker.status("job_nothing", QUEUE)

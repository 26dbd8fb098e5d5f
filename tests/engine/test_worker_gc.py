"""A serving worker collects young objects less often (a job's objects die young), and gives the
process its thresholds back when it stops."""

from __future__ import annotations

import gc

from tasks_for_tests import QUEUE

from mediamill.engine.worker import GC_THRESHOLDS


async def test_the_worker_sets_its_thresholds_while_it_serves(client, worker):
    before = gc.get_threshold()
    assert before != GC_THRESHOLDS
    async with worker([QUEUE]):
        assert gc.get_threshold() == GC_THRESHOLDS
        assert await (await client.submit("enginetest.noop")).result(timeout=30) == {"ok": True}
    assert gc.get_threshold() == before

"""redis_wait_replicas: a submit is acknowledged only once that many replicas hold it (Redis WAIT).

The embedded Redis has no replica, so a submit that waits for one is refused, naming the setting;
with the default (0) it is acknowledged on the primary's word. The crash it protects against runs in
tests/engine/test_sentinel.py.
"""

from __future__ import annotations

import pytest

from mediamill.engine.broker import Broker
from mediamill.engine.wire import JobRequest
from mediamill.errors import NotReplicated

JOB = JobRequest(task="enginetest.work", params={"log": "/dev/null"})


async def test_a_submit_no_replica_confirms_is_refused_not_acknowledged(settings):
    broker = Broker(settings.model_copy(update={"redis_wait_replicas": 1, "redis_wait_timeout_ms": 50}))
    try:
        with pytest.raises(NotReplicated) as refused:
            await broker.submit(JOB)
        with pytest.raises(NotReplicated):
            await broker.submit_bulk([JOB, JOB])
    finally:
        await broker.close()
    assert refused.value.status_code == 503
    assert "0 of 1 replica(s)" in refused.value.message and "redis_wait_replicas" in refused.value.message


async def test_by_default_the_primarys_word_is_enough(settings):
    broker = Broker(settings)
    try:
        status = await broker.submit(JOB)
        assert (await broker.status(status.id)).id == status.id
    finally:
        await broker.close()

"""A task may name a queue outside the built-in table; settings declare it, and until then submitting says how."""

from __future__ import annotations

import pytest
from tasks_for_tests import QUEUE

from mediamill.client import AsyncClient
from mediamill.errors import ConfigError, NotFound
from mediamill.settings import Settings
from mediamill.tasks import task


def test_a_malformed_queue_name_is_refused_at_registration():
    with pytest.raises(ConfigError, match="queue name 'Bad Queue'"):
        task("enginetest.badqueue", queue="Bad Queue")


async def test_an_undeclared_queue_is_refused_with_the_way_to_declare_it(settings):
    # Given settings that do not declare the test tasks' queue...
    bare = Settings(data_dir=settings.data_dir, redis_url=settings.redis_url)
    async with AsyncClient(bare) as client:
        with pytest.raises(NotFound, match=rf"\[queues\.{QUEUE}\].*MEDIAMILL_QUEUES__{QUEUE.upper()}__CONCURRENCY"):
            await client.submit("enginetest.noop", {}, [])
    # ...while settings that declare it (as the engine fixtures do) accept the same job.
    async with AsyncClient(settings) as client:
        handle = await client.submit("enginetest.noop", {}, [])
        assert handle.id

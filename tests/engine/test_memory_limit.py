"""A per-task memory ceiling: the task process is killed, the job fails once (not retried), the worker
and the next job carry on."""

from __future__ import annotations

import pytest
from helpers import read_events

from mediamill.engine.memory_limits import isolation_under, uncovered_inline_tasks
from mediamill.errors import ConfigError, MemoryLimitExceeded
from mediamill.policies import QueueOverride
from mediamill.settings import Settings
from mediamill.tasks import task
from mediamill.tasks.registry import TaskInfo


async def test_a_task_over_its_memory_limit_fails_and_the_next_job_runs(client, worker, tmp_path):
    log = tmp_path / "events.log"
    async with worker(["enginetest"]):
        hog = await client.submit("enginetest.hog", {"log": str(log)})
        status = await hog.wait(timeout=120)
        after = await client.submit("enginetest.work", {"log": str(log)})
        assert (await after.wait(timeout=120)).state == "completed"
    assert status.state == "failed" and status.attempts == 1
    assert status.error.type == MemoryLimitExceeded.__name__ and not status.error.retryable
    assert "memory limit exceeded (200 MB)" in status.error.message
    events = [row for row in read_events(log) if row[1] == hog.id]
    assert [row[0] for row in events] == ["start"]  # never reached the end, ran once


def test_the_queue_ceiling_is_a_setting():
    assert QueueOverride(memory_limit_mb=512).memory_limit_mb == 512


async def test_a_queue_ceiling_puts_a_thread_task_in_a_task_process_and_holds(client, worker, settings, tmp_path):
    # Without the ceiling this thread task would grow the worker itself to ~1.5 GB.
    limited = Settings(data_dir=settings.data_dir, log_format="json", log_level="warning", shutdown_grace_s=5,
                       queues={"enginetest": {"memory_limit_mb": 200, "backoff_ms": 100}})
    log = tmp_path / "events.log"
    async with worker(["enginetest"], settings=limited):
        hog = await client.submit("enginetest.hog_thread", {"log": str(log)})
        status = await hog.wait(timeout=120)
        after = await client.submit("enginetest.work_thread", {"log": str(log)})
        assert (await after.wait(timeout=120)).state == "completed"
    assert status.state == "failed" and status.attempts == 1
    assert status.error.type == MemoryLimitExceeded.__name__ and not status.error.retryable
    assert "memory limit exceeded (200 MB)" in status.error.message
    assert [row[0] for row in read_events(log) if row[1] == hog.id] == ["start"]


def test_a_ceiling_changes_only_thread_tasks():
    assert isolation_under("thread", 256) == "process"
    assert isolation_under("thread", None) == "thread"
    assert isolation_under("process", 256) == "process"
    assert isolation_under("inline", 256) == "inline"  # refused before it runs (below)


def test_a_queue_ceiling_names_the_inline_tasks_it_cannot_cover():
    settings = Settings(queues={"content": {"memory_limit_mb": 300}})
    inline = TaskInfo(name="content.generate", queue="content", isolation="inline", module="m")
    thread = TaskInfo(name="content.thread", queue="content", isolation="thread", module="m")
    other = TaskInfo(name="text.copy", queue="text", isolation="inline", module="m")
    assert uncovered_inline_tasks(settings, ["content", "text"], [inline, thread, other]) == {
        "content": ["content.generate"]}
    assert uncovered_inline_tasks(settings, ["text"], [inline, other]) == {}  # a queue this worker does not serve


def test_an_inline_task_with_its_own_ceiling_is_refused_when_registered():
    with pytest.raises(ConfigError, match="memory_limit_mb needs a task process"):
        @task("enginetest.inline_hog", queue="enginetest", memory_limit_mb=100)
        async def inline_hog(ctx, params) -> dict:
            return {}

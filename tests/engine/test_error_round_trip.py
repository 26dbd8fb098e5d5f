"""Every error of the tree, raised inside a task process, is raised again in the worker as itself."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from tasks_for_tests import QUEUE

from mediamill import errors
from mediamill.engine.call import Call, Callbacks
from mediamill.engine.pool import ProcessPool
from mediamill.tasks.context import JobInfo
from mediamill.tasks.registry import add_task_sources


def tree() -> list[type[errors.MediamillError]]:
    found = [cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, errors.MediamillError)]
    assert len(found) > 15  # the whole tree, not an empty list that passes by itself
    return found


def test_retryable_is_never_set_on_an_instance():
    for cls in tree():
        error = cls("m", field="f")
        assert "retryable" not in vars(error), cls
        assert (error.message, error.field) == ("m", "f")


@pytest.fixture
async def pool(settings):
    add_task_sources(["tasks_for_tests"])  # what the task processes load (the worker's entry point does this)
    pool = ProcessPool(settings)
    yield pool
    await asyncio.to_thread(pool.close)


async def raise_in_child(pool: ProcessPool, tmp_path, error: str, message: str, field: str | None):
    call = Call(job=JobInfo(job_id=f"round-trip-{error}", task="enginetest.raise_error", queue=QUEUE),
                params={"error": error, "message": message, "field": field}, inputs=[], scratch=str(tmp_path),
                ttl_hours=None, limits={}, timeout_s=60)
    with pytest.raises(BaseException) as caught:
        await pool.run(QUEUE, call, Callbacks(lambda *a: None, lambda *a: None), asyncio.Event())
    return caught.value


async def test_each_error_class_comes_back_from_the_task_process_as_itself(pool, tmp_path):
    for cls in tree():
        name = cls.__name__
        raised = await raise_in_child(pool, tmp_path, name, f"{name} went wrong", f"params.{name.lower()}")
        assert type(raised) is cls, (name, type(raised), raised)
        assert raised.message == f"{name} went wrong"
        assert raised.field == f"params.{name.lower()}"
        assert raised.retryable is cls.retryable
        assert f"{name}: {name} went wrong" in raised.child_trace  # where it really happened


async def test_a_foreign_error_comes_back_as_a_retryable_task_failure_named_after_it(pool, tmp_path):
    raised = await raise_in_child(pool, tmp_path, "KeyError", "no such key", None)
    assert type(raised) is errors.TaskFailure
    assert raised.kind == "KeyError" and raised.retryable
    assert "KeyError" in raised.trace

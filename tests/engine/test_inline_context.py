"""An inline task's context, built for every job: the worker's limits and the job's time budget reach it."""

from __future__ import annotations

from mediamill.security import Limits
from mediamill.tasks.context import JobInfo, TaskContext


async def test_an_inline_job_sees_the_workers_limits_and_its_timeout(client, worker_process):
    worker_process(LIMITS__MAX_PIXELS="1234", QUEUES__ENGINETEST__TIMEOUT_S="77")
    result = await (await client.submit("enginetest.context", {})).result(timeout=60)
    assert result == {"max_pixels": 1234, "timeout_s": 77.0, "queue": "enginetest"}


def test_limits_given_in_wire_form_are_validated_when_read(tmp_path):
    job = JobInfo(job_id="j", task="t", queue="q")
    wire = TaskContext(job=job, store=None, scratch=tmp_path, limits={"max_pixels": 99})
    assert wire.limits == Limits(max_pixels=99) and wire.limits is wire.limits
    assert TaskContext(job=job, store=None, scratch=tmp_path).limits == Limits()
    given = Limits(max_dimension=10)
    assert TaskContext(job=job, store=None, scratch=tmp_path, limits=given).limits is given

"""Failures under both policies, retries inside a step, cancel mid-run, rerun from the failed step."""

import asyncio

import pytest
from pipeline_helpers import wait_run

from mediamill.errors import Conflict
from mediamill.pipelines.spec import parse_spec


def branches(policy: str, unless_file: str) -> str:
    return f"""
name: branches
failure_policy: {policy}
steps:
  good:
    task: test.echo
    params: {{value: 1}}
  after_good:
    task: test.sleep
    after: [good]
    params: {{seconds: 0.5}}
  bad:
    task: test.fail
    params: {{unless_file: "{unless_file}"}}
  after_bad:
    task: test.echo
    params: {{value: "${{steps.bad.result.ok}}"}}
"""


async def test_fail_fast_stops_the_run(coordinator, worker, tmp_path):
    async with worker(["analytics"]):
        run = await coordinator.start(parse_spec(branches("fail-fast", str(tmp_path / "nope"))), {}, {})
        status = await wait_run(coordinator, run.id)
    assert status.state == "failed"
    assert "this step fails on purpose" in status.error["message"]
    states = {s.name: s.state for s in status.steps}
    assert states["bad"] == "failed"
    assert states["after_bad"] == "cancelled"
    assert states["after_good"] in ("cancelled", "completed")  # it may have finished before the failure


async def test_continue_runs_independent_steps(coordinator, worker, tmp_path):
    async with worker(["analytics"]):
        run = await coordinator.start(parse_spec(branches("continue", str(tmp_path / "nope"))), {}, {})
        status = await wait_run(coordinator, run.id)
    states = {s.name: s.state for s in status.steps}
    assert status.state == "failed"
    assert states == {"good": "completed", "after_good": "completed", "bad": "failed", "after_bad": "skipped"}
    bad = next(s for s in status.steps if s.name == "bad")
    assert bad.attempts == 1  # BadInput is not retried


async def test_step_that_fails_twice_then_succeeds(coordinator, worker, tmp_path):
    spec = parse_spec(f"""
name: flaky
steps:
  shaky:
    task: test.flaky
    params: {{counter: "{tmp_path / 'count'}", fail_times: 2}}
""")
    async with worker(["analytics"]):
        run = await coordinator.start(spec, {}, {})
        status = await wait_run(coordinator, run.id)
    assert status.state == "completed", status.error
    assert status.steps[0].attempts == 3
    assert status.steps[0].result == {"succeeded_after": 3}


async def test_cancel_mid_run(coordinator, worker):
    spec = parse_spec("""
name: slow
steps:
  long:
    task: test.sleep
    params: {seconds: 20}
  later:
    task: test.echo
    after: [long]
""")
    async with worker(["analytics"]):
        run = await coordinator.start(spec, {}, {})
        for _ in range(100):
            if (await coordinator.status(run.id)).steps[0].state == "active":
                break
            await asyncio.sleep(0.05)
        status = await coordinator.cancel(run.id)
        assert status.state == "cancelled"
        job_id = status.steps[0].job_id
        for _ in range(100):  # the active job stops too
            job = await coordinator.broker.status(job_id)
            if job.state.finished:
                break
            await asyncio.sleep(0.05)
    assert job.state == "cancelled"
    final = await coordinator.status(run.id)
    assert {s.name: s.state for s in final.steps} == {"long": "cancelled", "later": "cancelled"}
    with pytest.raises(Conflict):
        await coordinator.cancel(run.id)


async def test_rerun_restarts_from_the_failed_step(coordinator, worker, tmp_path):
    flag, counts = tmp_path / "fixed", tmp_path / "counts"
    spec = parse_spec(f"""
name: rerunnable
steps:
  first:
    task: test.echo
    params: {{files: 1, count_file: "{counts}"}}
  second:
    task: test.fail
    after: [first]
    params: {{unless_file: "{flag}"}}
  third:
    task: test.echo
    use: [steps.first.result.files]
    after: [second]
    params: {{count_file: "{counts}"}}
""")
    async with worker(["analytics"]):
        run = await coordinator.start(spec, {}, {})
        failed = await wait_run(coordinator, run.id)
        assert failed.state == "failed"
        flag.write_text("fixed")
        await coordinator.rerun(run.id)
        status = await wait_run(coordinator, run.id)
    assert status.state == "completed", status.error
    assert counts.read_text().split() == ["first", "third"]  # first ran once, its output was reused
    assert {s.name: s.state for s in status.steps} == {"first": "completed", "second": "completed",
                                                        "third": "completed"}
    with pytest.raises(Conflict):
        await coordinator.rerun(run.id)

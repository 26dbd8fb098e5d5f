"""Runs that stopped moving are repaired: a step job lost before it reached BullMQ is enqueued
again, a step outcome the coordinator never heard of is replayed, and nothing runs twice."""

from __future__ import annotations

from pipeline_helpers import wait_run

from mediamill.engine.middleware import LoggingMiddleware
from mediamill.pipelines.spec import parse_spec
from mediamill.records.middleware import RecordsMiddleware

CHAIN = """
name: repair-chain
steps:
  first:
    task: test.echo
    params: {value: one, count_file: "COUNT"}
  second:
    task: test.echo
    params: {value: "${steps.first.result.value} two", count_file: "COUNT"}
outputs:
  said: ${steps.second.result.value}
"""
FAN = """
name: repair-fan
params:
  items: {type: array, default: [a, b, c]}
steps:
  each:
    task: test.echo
    foreach: ${params.items}
    params: {value: "${item}"}
outputs:
  values: ${steps.each.result}
"""


def chain(tmp_path):
    return parse_spec(CHAIN.replace("COUNT", str(tmp_path / "count")))


async def test_a_step_job_lost_before_bullmq_is_enqueued_again(coordinator, worker, client, tmp_path):
    run = await coordinator.start(chain(tmp_path), {}, {})
    (first,) = [step for step in run.steps if step.name == "first"]
    # What a Redis outage between the coordinator's commit and its enqueue leaves behind: the step
    # is recorded as queued, and BullMQ has no such job.
    job = await client.broker.queue("analytics").getJob(first.job_id)
    await job.remove()
    async with worker(["analytics"]):
        assert (await coordinator.status(run.id)).state == "running"
        repaired = await coordinator.repair(run.id)
        assert repaired == {"requeued": [first.job_id], "replayed": []}
        status = await wait_run(coordinator, run.id)
    assert status.state == "completed", status.error
    assert status.outputs == {"said": "one two"}
    assert (tmp_path / "count").read_text().count("\n") == 2, "each step ran once"


async def test_an_outcome_the_coordinator_missed_is_replayed(coordinator, worker, settings, tmp_path):
    run = await coordinator.start(chain(tmp_path), {}, {})
    # A worker whose pipeline hook never reports (as when that hook fails): the job completes in
    # BullMQ, the run does not move.
    async with worker(["analytics"], middleware=[LoggingMiddleware(), RecordsMiddleware(settings)]):
        (first,) = [step for step in run.steps if step.name == "first"]
        await coordinator.broker.wait(first.job_id, timeout=30)
    assert (await coordinator.status(run.id)).steps[0].state != "completed"

    async with worker(["analytics"]):
        repaired = await coordinator.repair(run.id)
        assert repaired == {"requeued": [], "replayed": [first.job_id]}
        status = await wait_run(coordinator, run.id)
    assert status.state == "completed", status.error
    assert status.outputs == {"said": "one two"}
    assert (tmp_path / "count").read_text().count("\n") == 2, "the first step was not run again"


async def test_lost_foreach_items_are_rebuilt_with_their_own_item(coordinator, worker, client):
    run = await coordinator.start(parse_spec(FAN), {}, {})
    queue = client.broker.queue("analytics")
    jobs = await queue.getJobs(["waiting"])
    lost = sorted(job.id for job in jobs)[1:]  # two of the three items
    for job in jobs:
        if job.id in lost:
            await job.remove()
    async with worker(["analytics"]):
        repaired = await coordinator.repair(run.id)
        assert sorted(repaired["requeued"]) == lost
        status = await wait_run(coordinator, run.id)
    assert status.state == "completed", status.error
    assert [value["value"] for value in status.outputs["values"]] == ["a", "b", "c"]


async def test_repairing_a_healthy_run_changes_nothing(coordinator, client, tmp_path):
    run = await coordinator.start(chain(tmp_path), {}, {})
    assert await coordinator.repair(run.id) == {"requeued": [], "replayed": []}
    assert await client.broker.queue("analytics").getJobCountByTypes("waiting") == 1


async def test_the_sweep_task_repairs_running_runs(coordinator, worker, client, tmp_path):
    run = await coordinator.start(chain(tmp_path), {}, {})
    (first,) = [step for step in run.steps if step.name == "first"]
    await (await client.broker.queue("analytics").getJob(first.job_id)).remove()
    async with worker(["cleanup", "analytics"]):
        sweep = await client.submit("pipelines.sweep", {"min_age_s": 0})
        result = await sweep.result(timeout=60)
        status = await wait_run(coordinator, run.id)
    assert result["runs_checked"] >= 1
    assert result["repaired"][run.id]["requeued"] == [first.job_id]
    assert status.state == "completed", status.error


async def test_one_broken_run_does_not_stop_the_sweep(coordinator, worker, client, settings, tmp_path):
    from mediamill.db import open_database
    from mediamill.db.models.pipelines import PipelineRun

    broken = await coordinator.start(chain(tmp_path), {}, {})
    healthy = await coordinator.start(chain(tmp_path), {}, {})
    for run in (broken, healthy):
        (first,) = [step for step in run.steps if step.name == "first"]
        await (await client.broker.queue("analytics").getJob(first.job_id)).remove()
    # The broken run's spec names a task that is no longer installed: it cannot be rebuilt.
    with open_database(settings).session() as session:
        row = session.get(PipelineRun, broken.id)
        spec = dict(row.spec)
        spec["steps"] = {**spec["steps"], "first": {**spec["steps"]["first"], "task": "gone.task"}}
        row.spec = spec
    async with worker(["cleanup", "analytics"]):
        sweep = await client.submit("pipelines.sweep", {"min_age_s": 0})
        result = await sweep.result(timeout=60)
        status = await wait_run(coordinator, healthy.id)
    assert "gone.task" in result["failed"][broken.id]
    assert healthy.id in result["repaired"] and status.state == "completed", status.error

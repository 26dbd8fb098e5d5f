"""Tracing a pipeline run (settings.tracing): one trace for the whole run, fan-in as span links."""

from opentelemetry.trace import SpanKind
from pipeline_helpers import wait_run

from mediamill.pipelines.coordinator import Coordinator
from mediamill.pipelines.spec import parse_spec
from mediamill.testing import running_worker

JOIN = """
name: joined
steps:
  left: {task: test.echo, params: {value: l}}
  right: {task: test.echo, params: {value: r}}
  join:
    task: test.echo
    params: {value: "${steps.left.result.value}${steps.right.result.value}"}
  last:
    task: test.echo
    params: {value: "${steps.join.result.value}!"}
outputs:
  value: ${steps.last.result.value}
"""


async def test_a_run_is_one_trace_and_a_join_links_to_the_steps_it_waited_for(settings, spans):
    traced = settings.model_copy(update={"tracing": True})
    coordinator = Coordinator(traced)
    try:
        async with running_worker(traced, ["analytics"]):
            run = await coordinator.start(parse_spec(JOIN), {}, {})
            status = await wait_run(coordinator, run.id)
    finally:
        await coordinator.close()
    assert status.state == "completed" and status.outputs == {"value": "lr!"}

    finished = spans.get_finished_spans()
    root = next(s for s in finished if s.name == "submit run joined")
    assert root.kind == SpanKind.PRODUCER and root.parent is None and root.attributes["mediamill.run"] == run.id
    submits = {s.attributes["mediamill.step"]: s for s in finished if s.name == "submit test.echo"}
    assert set(submits) == {"left", "right", "join", "last"}
    jobs = {s.attributes["messaging.message.id"]: s for s in finished if s.name == "job test.echo"}
    for step, submit in submits.items():
        # Every step in the run's trace, its submit span a child of the run span (the later ones
        # were submitted by the coordinator inside the worker, from the run context in the job data).
        assert submit.context.trace_id == root.context.trace_id, step
        assert submit.parent.span_id == root.context.span_id, step
        job = jobs[submit.attributes["messaging.message.id"]]
        assert job.parent.span_id == submit.context.span_id and job.context.trace_id == root.context.trace_id

    def linked(step):
        return {link.context.span_id for link in submits[step].links}

    assert linked("left") == linked("right") == set()
    assert linked("join") == {submits["left"].context.span_id, submits["right"].context.span_id}
    assert linked("last") == {submits["join"].context.span_id}
    assert {link.attributes["mediamill.step"] for link in submits["join"].links} == {"left", "right"}


async def test_without_the_setting_a_run_has_no_spans(coordinator, worker, spans):
    async with worker(["analytics"]):
        run = await coordinator.start(parse_spec(JOIN), {}, {})
        status = await wait_run(coordinator, run.id)
    assert status.state == "completed"
    assert spans.get_finished_spans() == ()

"""One trace per pipeline run (settings.tracing; imported only when it is on).

A span has one parent, so a step cannot be the child of every step it waited for. Following
OpenTelemetry's messaging conventions (a span caused by several messages links to each one's
creation context), a run is traced as:

    submit run <pipeline>              PRODUCER, opened by `Coordinator.start`: the trace's root
      submit <task>  (one per step job) PRODUCER, parent: the run span;
                                        links: the submit spans of the step jobs it depends on
        job <task> -> step <name>       CONSUMER and its steps, as for any job (engine.tracing)

The run span's context travels in every step job's data under `run_trace`, so the coordinator in
whichever worker finishes a step can parent the next steps on it; the dependencies' contexts are
read from their jobs' data in BullMQ (a job already removed by its retention just has no link).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from mediamill.engine import tracing
from mediamill.engine.broker import Broker
from mediamill.engine.wire import PreparedJob
from mediamill.errors import NotFound

RUN_KEY = "run_trace"  # the run span's W3C context in each step job's data


def run_span(pipeline: str, run_id: str) -> Any:
    """The run's root span (a context manager that makes it current)."""
    span = tracing.tracer().start_span(f"submit run {pipeline}", kind=SpanKind.PRODUCER,
                                       attributes={"messaging.system": "bullmq", "mediamill.pipeline": pipeline,
                                                   "mediamill.run": run_id})
    return trace.use_span(span, end_on_exit=True)


async def step_span(broker: Broker, job: PreparedJob, after: Iterable[str]) -> Any:
    """The submit span of a step job: child of the run span, linked to the jobs in `after`.

    Inside `run_span` (a run's first steps) the run is the current span; later steps find it in
    their dependencies' data.
    """
    run_context, links = None, []
    for job_id in after:
        try:
            dependency, _ = await broker.get_job(job_id)
        except NotFound:
            continue
        data = dependency.data if isinstance(dependency.data, dict) else {}
        created = tracing.context_of(data)
        if created is not None:
            links.append(trace.Link(trace.get_current_span(created).get_span_context(),
                                    {"mediamill.step": str(data.get("step")), "messaging.message.id": job_id}))
        run_context = run_context or tracing.context_of(data.get(RUN_KEY))
    current = trace.get_current_span()
    if run_context is None and current.get_span_context().is_valid:
        run_context = trace.set_span_in_context(current)
    if run_context is not None:
        job.data[RUN_KEY] = tracing.carrier_of(run_context)
    return tracing.submit_span(job.queue, job.task, job.job_id, job.data, context=run_context, links=links,
                               attributes={f"mediamill.{key}": job.data[key] for key in ("run", "step")
                                           if job.data.get(key)})

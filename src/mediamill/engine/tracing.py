"""OpenTelemetry spans for a job's life, off unless `tracing = true` in the settings.

submit (producer span, wherever a job is enqueued) -> job (consumer span, in the worker) -> one span
per processor step (each `ctx.progress(..., step=...)` naming a new step). The submit span's context
travels in the job's data as a W3C `traceparent` (and `tracestate` when there is one), so the job
span joins the submitter's trace across the queue and across processes.

Spans go to OpenTelemetry's global tracer provider: configure the SDK (the `tracing` extra, an
exporter) in the process, or run it under `opentelemetry-instrument`. With tracing off nothing here
is imported by the default path (the worker adds this module's middleware only when it is on).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from mediamill import __version__
from mediamill.engine.middleware import Middleware, RunningJob

CARRIER_KEYS = ("traceparent", "tracestate")
# A tracer provider of mediamill's own (an embedding app's, a test's); None = OpenTelemetry's global one.
provider: trace.TracerProvider | None = None


def tracer() -> trace.Tracer:
    return (provider or trace.get_tracer_provider()).get_tracer("mediamill", __version__)


def submit_span(queue: str, task: str, job_id: str, data: dict, context: Any | None = None,
                links: Sequence[trace.Link] = (), attributes: dict | None = None) -> Any:
    """A producer span for enqueuing `job_id` (a context manager); its context is written into `data`.

    `context` is the parent (default: the current one); `links` point at related spans in other
    contexts (a pipeline step's links go to the creation contexts of the steps it waited for).
    """
    span = tracer().start_span(f"submit {task}", context=context, kind=SpanKind.PRODUCER, links=links,
                               attributes={"messaging.system": "bullmq", "messaging.destination.name": queue,
                                           "messaging.message.id": job_id, "mediamill.task": task,
                                           **(attributes or {})})
    data.update(carrier_of(trace.set_span_in_context(span)))
    return trace.use_span(span, end_on_exit=True)


def carrier_of(context: Any) -> dict[str, str]:
    """The W3C trace context of `context` as the job data's keys (traceparent, and tracestate if any)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=context)
    return {key: carrier[key] for key in CARRIER_KEYS if key in carrier}


def context_of(carrier: Any) -> Any | None:
    """The trace context carried by a job's data (or a part of it), or None when it carries none."""
    if not isinstance(carrier, dict) or not isinstance(carrier.get("traceparent"), str):
        return None
    return propagate.extract({key: carrier[key] for key in CARRIER_KEYS if isinstance(carrier.get(key), str)})


class TracingMiddleware(Middleware):
    """The job span (a child of the submit span carried in the job's data) and its steps' spans."""

    def __init__(self) -> None:
        self.open: dict[str, tuple[Any, Any | None]] = {}  # job id -> (job span, current step span)

    async def before_job(self, job: RunningJob) -> None:
        info = job.info
        extra = job.data.model_extra or {}
        parent = context_of(extra)
        span = tracer().start_span(
            f"job {info.task}", context=parent, kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "bullmq", "messaging.destination.name": info.queue,
                        "messaging.message.id": info.job_id, "mediamill.task": info.task,
                        "mediamill.attempt": info.attempt, **({"mediamill.run": info.run} if info.run else {})})
        self.open[info.job_id] = (span, None)

    async def on_progress(self, job: RunningJob, percent: float, step: str | None) -> None:
        span, current = self.open.get(job.info.job_id, (None, None))
        if span is None or not step or (current is not None and current.name == f"step {step}"):
            return
        if current is not None:
            current.end()
        child = tracer().start_span(f"step {step}", context=trace.set_span_in_context(span),
                                    attributes={"mediamill.step": step})
        self.open[job.info.job_id] = (span, child)

    async def after_job(self, job: RunningJob, result: Any | None, error: BaseException | None) -> None:
        span, current = self.open.pop(job.info.job_id, (None, None))
        if span is None:
            return
        for part in (current, span):
            if part is None:
                continue
            if error is not None:
                part.record_exception(error)
                part.set_status(Status(StatusCode.ERROR, str(error)[:200]))
            part.end()


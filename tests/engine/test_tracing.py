"""Tracing (settings.tracing): submit -> job -> step spans, one trace across the queue, through a real worker."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import redis
from opentelemetry.trace import SpanKind, StatusCode

from mediamill.client import AsyncClient
from mediamill.engine.connection import redis_url
from mediamill.errors import JobFailed
from mediamill.testing import running_worker


async def test_a_job_is_one_trace_from_submit_through_the_worker_to_its_steps(settings, spans):
    traced = settings.model_copy(update={"tracing": True})
    async with AsyncClient(traced) as client, running_worker(traced, ["enginetest"]):
        handle = await client.submit("enginetest.steps", {})
        assert await handle.result(timeout=60) == {"steps": 2}
        failing = await client.submit("enginetest.steps", {"fail": True})
        with pytest.raises(JobFailed):
            await failing.result(timeout=60)

    finished = spans.get_finished_spans()
    ok = [span for span in finished if span.attributes.get("messaging.message.id") == handle.id]
    submit = next(s for s in ok if s.name == "submit enginetest.steps")
    job = next(s for s in ok if s.name == "job enginetest.steps")
    assert submit.kind == SpanKind.PRODUCER and job.kind == SpanKind.CONSUMER
    # Linked across the queue: the job span is the submit span's child, in the same trace.
    assert job.context.trace_id == submit.context.trace_id and job.parent.span_id == submit.context.span_id
    assert job.attributes["messaging.destination.name"] == "enginetest" and job.attributes["mediamill.attempt"] == 1
    steps = sorted((s for s in finished if s.parent and s.parent.span_id == job.context.span_id),
                   key=lambda s: s.start_time)
    assert [s.name for s in steps] == ["step fetch", "step render"]
    assert steps[0].end_time <= steps[1].start_time <= steps[1].end_time <= job.end_time
    assert job.status.status_code == StatusCode.UNSET

    failed_job = next(s for s in finished if s.name == "job enginetest.steps"
                      and s.attributes["messaging.message.id"] == failing.id)
    assert failed_job.status.status_code == StatusCode.ERROR and "render broke" in failed_job.status.description
    failed_steps = [s for s in finished if s.parent and s.parent.span_id == failed_job.context.span_id]
    assert {s.name: s.status.status_code for s in failed_steps}["step render"] == StatusCode.ERROR


async def test_without_the_setting_no_span_and_no_trace_context_in_the_job(settings, spans, client, worker):
    async with worker(["enginetest"]):
        handle = await client.submit("enginetest.steps", {})
        await handle.result(timeout=60)
        keys = redis.Redis.from_url(redis_url(settings)).keys(f"*:enginetest:{handle.id}")
        data = json.loads(redis.Redis.from_url(redis_url(settings)).hget(keys[0], "data"))
    assert spans.get_finished_spans() == ()
    assert data["task"] == "enginetest.steps" and not {"traceparent", "tracestate"} & data.keys()


def test_the_default_path_imports_nothing_of_tracing(tmp_path):
    code = (
        "import sys\n"
        "from mediamill.serve import worker_middleware\n"
        "from mediamill.engine.broker import Broker\n"
        "from mediamill.pipelines.coordinator import Coordinator\n"
        "from mediamill.settings import Settings\n"
        f"hooks = worker_middleware(Settings(data_dir={str(tmp_path)!r}))\n"
        # Not opentelemetry.sdk as a whole: redis-py's observability module imports its metrics part
        # whenever the SDK is installed (as it is in the dev set-up).
        "loaded = [m for m in sys.modules if m in ('mediamill.engine.tracing', 'mediamill.pipelines.tracing') or m.startswith('opentelemetry.sdk.trace')]\n"
        "assert not loaded, loaded\n"
        "assert not any(type(h).__name__ == 'TracingMiddleware' for h in hooks)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)

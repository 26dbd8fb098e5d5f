"""The worker's per-job log lines: one at info when an attempt ends, "job started" at debug only."""

from __future__ import annotations

import json

from mediamill.errors import JobFailed

QUEUE = "enginetest"


def _lines_for(worker, job_id: str) -> list[dict]:
    events = []
    for line in worker.log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("job_id") == job_id:
                events.append(event)
    return events


async def test_one_info_line_per_attempt_with_the_job_fields(client, worker_process):
    worker = worker_process()
    done = await client.submit("enginetest.noop", {})
    await done.result(timeout=60)
    failed = await client.submit("enginetest.raise_error", {"error": "ValueError", "message": "bad widget"})
    try:
        await failed.result(timeout=60)
    except JobFailed:
        pass
    else:
        raise AssertionError("the job should have failed")
    worker.stop()

    [completed] = _lines_for(worker, done.id)
    assert completed["event"] == "job completed" and completed["level"] == "info"
    assert {key: completed[key] for key in ("task", "queue", "attempt")} == {
        "task": "enginetest.noop", "queue": QUEUE, "attempt": 1}
    assert {"run", "step", "duration_s", "timestamp"} <= completed.keys()
    lines = _lines_for(worker, failed.id)
    assert "job started" not in [event["event"] for event in lines], lines
    failure = lines[-1]
    assert failure["event"] == "job failed" and failure["level"] == "error"
    assert failure["queue"] == QUEUE and failure["error_type"] == "ValueError" and "bad widget" in failure["error"]


async def test_job_started_is_logged_at_debug(client, worker_process):
    worker = worker_process(LOG_LEVEL="debug")
    handle = await client.submit("enginetest.noop", {})
    await handle.result(timeout=60)
    worker.stop()

    events = [event["event"] for event in _lines_for(worker, handle.id)]
    assert events == ["job started", "job completed"], events
    started = _lines_for(worker, handle.id)[0]
    assert started["level"] == "debug" and started["queue"] == QUEUE and started["task"] == "enginetest.noop"

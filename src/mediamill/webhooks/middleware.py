"""WebhookMiddleware: enqueue `webhook.deliver` when a job with a notify_url finishes for good,
and record every delivery attempt in webhook_deliveries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from mediamill.engine.broker import Broker
from mediamill.engine.jobs import format_failure, parse_failure
from mediamill.engine.middleware import Middleware, RunningJob
from mediamill.engine.wire import JobRequest
from mediamill.errors import Cancelled
from mediamill.logs import get_logger
from mediamill.settings import Settings
from mediamill.webhooks.deliver import DeliveryFailed, current_settings

log = get_logger("mediamill.webhooks")
DELIVER_TASK = "webhook.deliver"


def notification(job: RunningJob, result: Any, error: BaseException | None, base_url: str) -> tuple[str, dict]:
    """(event, body) for a finished job."""
    if error is None:
        state, event, details = "completed", "job.completed", None
    else:
        failure = parse_failure(format_failure(error))
        details = failure.model_dump() if failure else {"type": type(error).__name__, "message": str(error)}
        state = "cancelled" if isinstance(error, Cancelled) or details["type"] == "Cancelled" else "failed"
        event = "job.failed"
    job_id = job.info.job_id
    body = {"event": event, "job": {"id": job_id, "task": job.info.task, "state": state, "result": result,
                                    "error": details, "links": {"self": f"{base_url}/v1/jobs/{job_id}"}}}
    return event, body


class WebhookMiddleware(Middleware):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.broker = None

    async def on_worker_start(self, worker: Any) -> None:
        self.broker = Broker(self.settings)  # the database opens with the first delivery to record

    async def on_worker_stop(self, worker: Any) -> None:
        if self.broker is not None:
            await self.broker.close()
            self.broker = None

    async def before_job(self, job: RunningJob) -> None:
        if job.info.task == DELIVER_TASK:
            current_settings.set(self.settings)

    async def after_job(self, job: RunningJob, result: Any | None, error: BaseException | None) -> None:
        if job.info.task == DELIVER_TASK:
            await self._record_attempt(job, result, error)
            return
        url = job.data.notify_url
        if not url or not job.final or self.broker is None:
            return
        event, body = notification(job, result, error, self.settings.base_url)
        # One delivery per finished attempt, whoever runs this hook for it: a worker killed after this
        # hook and before Redis completed the job makes the job run again (its claim, processedOn,
        # is new; its attempt number is not), and the second add of the same id is ignored.
        delivery_id = f"whk_{job.info.job_id}_{job.info.attempt}"
        params = {"url": url, "event": event, "job_id": job.info.job_id, "payload": body}
        await self.broker.submit(JobRequest(task=DELIVER_TASK, params=params), job_id=delivery_id)

    async def _record_attempt(self, job: RunningJob, result: Any, error: BaseException | None) -> None:
        from mediamill.db.models import WebhookDelivery

        params = job.data.params
        finished = datetime.now(UTC)
        row = WebhookDelivery(
            job=str(params.get("job_id") or ""), url=str(params.get("url") or ""), event=str(params.get("event") or ""),
            attempt=job.info.attempt, ok=error is None, duration_ms=round(job.elapsed_s * 1000, 1),
            status_code=(result or {}).get("status_code") if error is None else getattr(error, "response_status", None),
            error=None if error is None else str(error), finished_at=finished,
            created_at=finished - timedelta(seconds=job.elapsed_s),
        )
        if self.broker is not None:  # a started worker's hook
            def write() -> None:
                from mediamill.db import open_database  # the process's one Database (opened once)
                from mediamill.db.repositories import webhooks

                with open_database(self.settings).session() as session:
                    webhooks.record(session, row)

            await asyncio.to_thread(write)
        if error is not None and not isinstance(error, DeliveryFailed):
            log.warning("webhook not delivered", job_id=row.job, error=str(error), attempt=row.attempt)

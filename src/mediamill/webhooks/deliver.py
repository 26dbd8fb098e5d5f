"""The `webhook.deliver` task: POST one signed notification, through the SSRF-safe transport.

Any answer but 2xx, a timeout or a refused connection raises a retryable error, so the queue's
backoff policy retries it; an address the fetch rules refuse fails at once (BadInput).
"""

from __future__ import annotations

import contextvars
import json
import time

from pydantic import BaseModel, ConfigDict, Field

from mediamill.errors import ProviderError
from mediamill.settings import Settings, get_settings
from mediamill.tasks import TaskContext, task
from mediamill.webhooks.secret import webhook_secret
from mediamill.webhooks.signature import signed_headers

DELIVERY_TIMEOUT_S = 10.0
# The worker's settings, set by WebhookMiddleware.before_job (the task context carries no settings).
current_settings: contextvars.ContextVar[Settings | None] = contextvars.ContextVar("webhook_settings", default=None)


class DeliverParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(description="where to POST (http or https; public addresses unless allow-listed)")
    event: str = Field(description="job.completed or job.failed")
    job_id: str = Field(description="the job the notification is about")
    payload: dict = Field(description="the JSON body to send")


class DeliveryFailed(ProviderError):
    """The receiver did not take the notification (non-2xx, timeout, connection refused)."""

    def __init__(self, message: str, *, response_status: int | None = None) -> None:
        super().__init__(message, field="notify_url")
        self.response_status = response_status


def body_bytes(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


@task("webhook.deliver", queue="webhooks", inputs=(0, 0), attempts=6, timeout_s=30)
async def deliver(ctx: TaskContext, params: DeliverParams) -> dict:
    """POST a signed job notification to its notify_url (retried with backoff until it is taken)."""
    # Imported here: every process-pool child imports this module to fill its registry, and the
    # pinned-address fetch stack takes 1.7-3 s to import there (-X importtime) for a task run inline.
    import httpx

    from mediamill.fetch.guard import Guard
    from mediamill.fetch.transport import PinnedTransport

    settings = current_settings.get() or get_settings()
    guard = Guard(ctx.limits)
    guard.target(params.url)  # scheme and syntax; addresses are checked at connect time
    body = body_bytes(params.payload)
    # webhook-id is the delivery job's id: the same on every retry, so a receiver can drop duplicates.
    headers = {**signed_headers(webhook_secret(settings), body, ctx.job.job_id), "User-Agent": "mediamill-webhooks/1"}
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(transport=PinnedTransport(guard), timeout=DELIVERY_TIMEOUT_S,
                                     follow_redirects=False) as client:
            response = await client.post(params.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"could not deliver to {_short(params.url)}: {type(exc).__name__}: {exc}") from None
    duration_ms = round((time.monotonic() - started) * 1000, 1)
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"{_short(params.url)} answered HTTP {response.status_code}",
                             response_status=response.status_code)
    return {"status_code": response.status_code, "ok": True, "duration_ms": duration_ms}


def _short(url: str) -> str:
    return url if len(url) <= 120 else url[:120] + "..."

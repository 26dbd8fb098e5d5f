"""Webhook delivery records: one row per attempt, listed per job."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediamill.db.models.webhooks import WebhookDelivery


def record(session: Session, delivery: WebhookDelivery) -> WebhookDelivery:
    session.add(delivery)
    session.flush()
    return delivery


def for_job(session: Session, job_id: str) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.job == job_id).order_by(WebhookDelivery.id)
    return list(session.scalars(query))

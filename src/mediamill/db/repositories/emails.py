"""Email records: claim a message by its idempotency key before sending, then record how it went.

The claim is what makes a retried job safe: the row exists (status `sending`) before the
transport is called, and is `sent` before the job completes, so a retry finds it and does not send.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediamill.db.base import utcnow
from mediamill.db.models.messaging import EmailMessage, EmailStatus


@dataclass(frozen=True)
class Claim:
    message: EmailMessage
    previous: EmailStatus | None  # the status a former attempt left; None for a new message


def claim(session: Session, draft: EmailMessage) -> Claim:
    """The row for draft.idempotency_key, created `sending` when new; an existing row is returned
    as it is (a `sent` or `failed` one is final) and, when deferred or interrupted, claimed again.

    A claim that will be sent counts its attempt (and the message size) in the same commit, before
    the transport is called, so an attempt that dies mid-send still shows."""
    existing = by_key(session, draft.idempotency_key)
    if existing is None:
        draft.status, draft.attempts = EmailStatus.sending.value, 1
        try:
            with session.begin_nested():
                session.add(draft)
                session.flush()
            return Claim(draft, None)
        except IntegrityError:  # another process claimed the same key between our read and insert
            existing = by_key(session, draft.idempotency_key)
            assert existing is not None
    previous = EmailStatus(existing.status)
    if previous in (EmailStatus.deferred, EmailStatus.sending):
        existing.status = EmailStatus.sending.value
        existing.attempts += 1
        existing.size = draft.size
    return Claim(existing, previous)


def by_key(session: Session, key: str) -> EmailMessage | None:
    return session.scalars(select(EmailMessage).where(EmailMessage.idempotency_key == key)).first()


def finish(session: Session, row_id: int, status: EmailStatus, *, provider_message_id: str | None = None,
           error: str | None = None) -> None:
    values: dict = {"status": status.value, "error": error}
    if status is EmailStatus.sent:
        values.update(provider_message_id=provider_message_id, sent_at=utcnow())
    session.execute(update(EmailMessage).where(EmailMessage.id == row_id).values(**values))


def recent(session: Session, *, limit: int = 100, status: EmailStatus | None = None) -> list[EmailMessage]:
    query = select(EmailMessage).order_by(EmailMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.where(EmailMessage.status == status.value)
    return list(session.scalars(query))

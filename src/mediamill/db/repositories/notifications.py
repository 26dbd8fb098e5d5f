"""Notification records: create once per key, list a user's page by id, mark read, follow new ones."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediamill.db.base import utcnow
from mediamill.db.models.notifications import Notification


def create_once(session: Session, draft: Notification) -> tuple[Notification, bool]:
    """(row, created): the row for draft.idempotency_key, inserted when it is new."""
    existing = by_key(session, draft.idempotency_key)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            session.add(draft)
            session.flush()
        return draft, True
    except IntegrityError:  # the same key inserted by another process between our read and insert
        existing = by_key(session, draft.idempotency_key)
        assert existing is not None
        return existing, False


def by_key(session: Session, key: str) -> Notification | None:
    return session.scalars(select(Notification).where(Notification.idempotency_key == key)).first()


def get(session: Session, notification_id: int) -> Notification | None:
    return session.get(Notification, notification_id)


def page(session: Session, user_id: str, *, unread: bool = False, limit: int = 50,
         before: int | None = None) -> tuple[list[Notification], int]:
    """Newest first, `limit` rows older than id `before`; and how many match in all."""
    where = [Notification.user_id == user_id]
    if unread:
        where.append(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0
    if before is not None:
        where.append(Notification.id < before)
    rows = session.scalars(select(Notification).where(*where).order_by(Notification.id.desc()).limit(limit))
    return list(rows), total


def after(session: Session, user_id: str, last_id: int, limit: int = 100) -> list[Notification]:
    """A user's notifications newer than id `last_id`, oldest first (what a stream sends next)."""
    query = (select(Notification).where(Notification.user_id == user_id, Notification.id > last_id)
             .order_by(Notification.id).limit(limit))
    return list(session.scalars(query))


def newest_id(session: Session, user_id: str) -> int:
    return session.scalar(select(func.max(Notification.id)).where(Notification.user_id == user_id)) or 0


def mark_read(session: Session, notification_id: int) -> Notification | None:
    row = session.get(Notification, notification_id)
    if row is not None and row.read_at is None:
        row.read_at = utcnow()
    return row


def mark_all_read(session: Session, user_id: str) -> int:
    result = session.execute(update(Notification)
                             .where(Notification.user_id == user_id, Notification.read_at.is_(None))
                             .values(read_at=utcnow()))
    return result.rowcount or 0


def set_emailed(session: Session, notification_id: int, message_id: str) -> None:
    session.execute(update(Notification).where(Notification.id == notification_id).values(emailed=message_id))

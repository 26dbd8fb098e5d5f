"""In-app notifications for the edges: a user's page, mark read, and a live stream of new ones.

The stream polls the table (one indexed query per `notifications.stream_poll_s`, 0.2 s) instead of
a pub/sub channel: the row is the source of truth whichever worker wrote it, a reconnecting client
resumes from the last id it saw (SSE `Last-Event-ID`), and nothing is lost while it was away.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from mediamill.db.repositories import notifications as records
from mediamill.errors import BadInput, NotFound
from mediamill.processors.messaging.notify import as_dict
from mediamill.services.context import Services

HEARTBEAT_S = 15.0


def _user(user: str | None) -> str:
    if not user or not user.strip():
        raise BadInput("user is required (the userId whose notifications to read)", field="user")
    return user


def list_notifications(services: Services, user: str | None, *, unread: bool = False, limit: int = 50,
                       before: int | None = None) -> dict:
    """Newest first; `next` is the `before` to pass for the following page (None at the end)."""
    with services.database.session() as session:
        rows, total = records.page(session, _user(user), unread=unread, limit=limit, before=before)
        data = [as_dict(row) for row in rows]
    return {"data": data, "count": total, "next": rows[-1].id if len(rows) == limit else None}


def read_notification(services: Services, notification_id: int) -> dict:
    with services.database.session() as session:
        row = records.mark_read(session, notification_id)
        if row is None:
            raise NotFound(f"no notification {notification_id}", field="id")
        return as_dict(row)


def read_all(services: Services, user: str | None) -> dict:
    with services.database.session() as session:
        return {"user": _user(user), "updated": records.mark_all_read(session, user or "")}


async def notification_events(services: Services, user: str | None, *, after: int | None = None,
                              heartbeat_s: float = HEARTBEAT_S) -> AsyncIterator[tuple[str, dict | None, int | None]]:
    """(event, data, id): every notification of `user` created after id `after` (default: from now on)."""
    user = _user(user)
    poll_s = services.settings.notifications.stream_poll_s
    last = after if after is not None else await asyncio.to_thread(_newest, services, user)
    yield "ready", {"user": user, "after": last}, None
    quiet_since = time.monotonic()
    while True:
        rows = await asyncio.to_thread(_after, services, user, last)
        for row in rows:
            last = row["id"]
            yield "notification", row, row["id"]
        if rows:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= heartbeat_s:
            yield "heartbeat", None, None
            quiet_since = time.monotonic()
        await asyncio.sleep(poll_s)


def _newest(services: Services, user: str) -> int:
    with services.database.session() as session:
        return records.newest_id(session, user)


def _after(services: Services, user: str, last: int) -> list[dict]:
    with services.database.session() as session:
        return [as_dict(row) for row in records.after(session, user, last)]

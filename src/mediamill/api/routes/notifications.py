"""/v1/notifications: a user's in-app notifications, marking them read, and an SSE stream of new ones."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from mediamill.api.deps import ReadKey, ServicesDep, SubmitKey
from mediamill.api.routes import problems
from mediamill.api.sse import sse_frame, sse_response
from mediamill.services import notifications as service

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])

UserQuery = Annotated[str | None, Query(max_length=128, description="the userId")]
# Row ids are 64-bit integers in both databases: anything larger can name no notification.
MAX_ID = 2**63 - 1


class NotificationView(BaseModel):
    id: int
    userId: str  # noqa: N815 - the seed's field names
    type: str
    title: str
    message: str
    data: dict
    projectId: str | None = None  # noqa: N815
    taskId: str | None = None  # noqa: N815
    milestoneId: str | None = None  # noqa: N815
    meetingId: str | None = None  # noqa: N815
    read: bool
    readAt: datetime | None = None  # noqa: N815
    createdAt: datetime  # noqa: N815
    emailed: str | None = None


class NotificationList(BaseModel):
    data: list[NotificationView]
    count: int
    next: int | None


class ReadAll(BaseModel):
    user: str
    updated: int


@router.get("", response_model=NotificationList, responses=problems(401, 403, 422))
async def list_notifications(services: ServicesDep, key: ReadKey, user: UserQuery = None,
                             unread: bool = False, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                             before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="`next` of the page before")] = None,
                             ) -> dict:
    """A user's notifications, newest first; `count` is how many match in all, `next` pages on."""
    return await asyncio.to_thread(service.list_notifications, services, user, unread=unread, limit=limit,
                                   before=before)


@router.get("/stream", responses={200: {"content": {"text/event-stream": {}},
                                        "description": "`ready`, then one `notification` event per new one"},
                                  **problems(401, 403, 422)})
async def notification_stream(services: ServicesDep, key: ReadKey, user: UserQuery = None,
                              last_event_id: Annotated[int | None, Header(ge=0, le=MAX_ID)] = None) -> StreamingResponse:
    """Server-sent events: each new notification of `user` within `notifications.stream_poll_s`.
    A client that reconnects with Last-Event-ID gets what it missed."""
    events = service.notification_events(services, user, after=last_event_id)
    first = await anext(events)  # a missing user is a 422 now, not inside the stream

    async def frames():
        yield sse_frame(*first[:2])
        async for event, data, event_id in events:
            yield sse_frame(event, data, event_id=event_id)

    return sse_response(frames())


@router.post("/read-all", response_model=ReadAll, responses=problems(401, 403, 422))
async def read_all(services: ServicesDep, key: SubmitKey, user: UserQuery = None) -> dict:
    """Mark every unread notification of `user` read."""
    return await asyncio.to_thread(service.read_all, services, user)


@router.post("/{notification_id}/read", response_model=NotificationView, responses=problems(401, 403, 404))
async def read_one(notification_id: Annotated[int, Path(ge=1, le=MAX_ID)], services: ServicesDep, key: SubmitKey) -> dict:
    """Mark one notification read (again is fine)."""
    return await asyncio.to_thread(service.read_notification, services, notification_id)

"""The `notify.create` task: store an in-app notification once per job, and email it when its type says so.

The email goes through email.send's own code path (the same rendering, checks, records and
idempotency), in this job rather than as a second job: a processor cannot enqueue, and one job
keeps "notified" and "emailed" retried together. Its key is derived from the notification, so a
retry after a failed send creates no second notification and sends no second email.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, Field, field_validator

from mediamill.db import open_database
from mediamill.db.models.notifications import Notification
from mediamill.db.repositories import notifications as records
from mediamill.processors.messaging.params import SendEmailParams, valid_address
from mediamill.processors.messaging.send import deliver, in_session
from mediamill.settings import Settings, get_settings
from mediamill.tasks import TaskContext, task
from mediamill.tasks.naming import SEED_NAMES


class CreateNotificationParams(BaseModel):
    model_config = SEED_NAMES
    user_id: str = Field(min_length=1, max_length=128, description="whose notification it is")
    type: str = Field(min_length=1, max_length=64, description="e.g. TASK_ASSIGNED; decides whether it is emailed")
    title: str = Field(min_length=1, max_length=300)
    message: str = Field(min_length=1, max_length=5000)
    data: dict = Field(default_factory=dict)
    project_id: str | None = Field(None, max_length=128)
    task_id: str | None = Field(None, max_length=128)
    milestone_id: str | None = Field(None, max_length=128)
    meeting_id: str | None = Field(None, max_length=128)
    email: str | None = Field(None, description="the user's address, for the types that are emailed")

    @field_validator("user_id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("email")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return None if value is None else valid_address(value, "email")


def as_dict(row: Notification) -> dict:
    return {"id": row.id, "userId": row.user_id, "type": row.type, "title": row.title, "message": row.message,
            "data": row.data or {}, "projectId": row.project_id, "taskId": row.task_id,
            "milestoneId": row.milestone_id, "meetingId": row.meeting_id, "read": row.read_at is not None,
            "readAt": row.read_at, "createdAt": row.created_at, "emailed": row.emailed}


@task("notify.create", queue="notifications", inputs=(0, 0))
async def create_notification(ctx: TaskContext, params: CreateNotificationParams) -> dict:
    """Store an in-app notification for a user (and email it when its type is configured to)."""
    settings: Settings = ctx.settings or get_settings()
    database = open_database(settings)
    row, created = await asyncio.to_thread(_create, database, params, ctx.job.job_id)
    template = settings.notifications.email_types.get(params.type)
    result = {**as_dict(row), "created": created, "email": None}
    if template is None or row.emailed:
        return result
    address = params.email or params.data.get("email")
    if not address:
        ctx.log("notification type is emailed but the job gives no address", type=params.type)
        return {**result, "email": {"status": "skipped", "reason": "no address (email or data.email)"}}
    email = SendEmailParams(to=[address], subject=params.title, template=template,
                            data={**params.data, "title": params.title, "message": params.message})
    sent = await deliver(ctx, email, idempotency_key=f"notification:{row.id}")
    await asyncio.to_thread(in_session, database, records.set_emailed, row.id, sent["messageId"])
    return {**result, "emailed": sent["messageId"], "email": sent}


def _create(database, params: CreateNotificationParams, job_id: str) -> tuple[Notification, bool]:
    draft = Notification(idempotency_key=job_id, user_id=params.user_id, type=params.type, title=params.title,
                         message=params.message, data=params.data, project_id=params.project_id,
                         task_id=params.task_id, milestone_id=params.milestone_id, meeting_id=params.meeting_id)
    with database.session() as session:
        return records.create_once(session, draft)

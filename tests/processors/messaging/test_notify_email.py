"""notify.create emails the notification types configured to, once, through email.send's path."""

from __future__ import annotations

import pytest

from mediamill.db import open_database
from mediamill.db.repositories import notifications as records
from mediamill.errors import BadInput
from mediamill.tasks.registry import get_task
from mediamill.testing import make_context


async def notify(settings, params: dict, job_id: str) -> dict:
    spec = get_task("notify.create")
    return await spec.fn(make_context(settings, "notify.create", job_id=job_id), spec.parse_params(params))


@pytest.fixture
def emailing(smtp_settings):
    settings, inbox = smtp_settings
    config = settings.notifications.model_copy(update={"email_types": {"TASK_ASSIGNED": "task-assignment"}})
    return settings.model_copy(update={"notifications": config}), inbox


TASK = {"userId": "usr_lina", "type": "TASK_ASSIGNED", "title": "New task: teaser grade",
        "message": "Omar assigned you a task", "taskId": "t_981", "email": "lina@example.com",
        "data": {"taskTitle": "Colour-grade the teaser cut", "projectName": "Spring campaign",
                 "assignedBy": "Omar Saleh", "taskUrl": "https://app.example.com/tasks/t_981"}}


async def test_a_configured_type_is_emailed_once_even_when_the_job_is_retried(emailing):
    settings, inbox = emailing
    first = await notify(settings, TASK, "job_n1")
    again = await notify(settings, TASK, "job_n1")

    assert len(inbox.received) == 1
    message = inbox.received[0].message
    assert message["Subject"] == "New task: teaser grade" and message["X-Mediamill-Template"] == "task-assignment"
    assert first["email"]["status"] == "sent" and again["created"] is False
    with open_database(settings).session() as session:
        row = records.get(session, first["id"])
        assert (row.user_id, row.task_id, row.emailed) == ("usr_lina", "t_981", first["email"]["messageId"])


async def test_other_types_and_missing_addresses_are_not_emailed(emailing):
    settings, inbox = emailing
    plain = await notify(settings, {**TASK, "type": "COMMENT"}, "job_n2")
    no_address = await notify(settings, {k: v for k, v in TASK.items() if k != "email"}, "job_n3")
    assert inbox.received == [] and plain["email"] is None
    assert no_address["email"]["status"] == "skipped"


@pytest.mark.parametrize("change", [{"userId": None}, {"userId": ""}, {"email": "not an address"}])
async def test_bad_notifications_are_refused_naming_the_field(emailing, change):
    settings, inbox = emailing
    params = {k: v for k, v in {**TASK, **change}.items() if v is not None}
    with pytest.raises(BadInput, match="userId|email"):
        await notify(settings, params, "job_bad")
    assert inbox.received == []

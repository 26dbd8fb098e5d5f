"""Seed 004 (asset workers): AssetProcessingJob, EmailJob, NotificationJob, AnalyticsJob (and an OLD_ANALYTICS
CleanupJob) added by Node's bullmq exactly as the seed's README writes them, on the seed's own Bull queue names;
the side effects are checked where they land: the artifact's metadata, an aiosmtpd inbox, the notification and
analytics rows."""

from __future__ import annotations

import base64
import email
import email.policy
import socket
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from seed_helpers import seed_add
from sqlalchemy import select

from mediamill.db import open_database
from mediamill.db.models.analytics import AnalyticsEvent
from mediamill.db.models.notifications import Notification

ASSET_FIELDS = ["assetId", "fileType", "mimeType", "originalFilename"]
SEED_004 = {
    "asset-processing": {"queue": "assets", "task": "asset.inspect", "input_field": "fileKey",
                         "keep_fields": ASSET_FIELDS},
    "email": {"queue": "email", "task": "email.send"},
    "notification": {"queue": "notifications", "task": "notify.create"},
    "analytics": {"queue": "analytics", "task": "analytics.track"},
    "cleanup": {"queue": "cleanup", "task": "storage.cleanup"},
}


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 2.0.0 Ok"


@pytest.fixture
def smtp(settings):
    """(settings whose email goes to a fresh aiosmtpd server, its inbox)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    mail = settings.email.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
                                             "from_address": "noreply@kayanlive.test", "from_name": "Kayan Live"})
    yield settings.model_copy(update={"email": mail}), inbox
    controller.stop()


@pytest.mark.engine_settings(seed_queues=SEED_004)
async def test_seed_004_asset_processing_job_as_written(node, settings, client, worker, tmp_path):
    from PIL import Image

    source = tmp_path / "logo.png"
    Image.new("RGBA", (640, 480), (10, 200, 90, 128)).save(source)
    client.store.put(source, name="logo.png", key="assets/asset_3/logo.png")
    job = {"assetId": "asset_3", "fileKey": "assets/asset_3/logo.png", "fileType": "IMAGE",
           "mimeType": "image/png", "originalFilename": "logo.png"}
    async with worker(["assets"]):
        reply = await seed_add(node, settings, "asset-processing", "__default__", job)
        no_file = await seed_add(node, settings, "asset-processing", "__default__",
                                 {**job, "fileKey": "assets/asset_3/gone.png"})
        no_key = await seed_add(node, settings, "asset-processing", "__default__",
                                {k: v for k, v in job.items() if k != "fileKey"})
    result = reply.get("result")
    assert result is not None, reply
    # What the seed extracts for images (dimensions, alpha), as mediamill reports it.
    assert (result["width"], result["height"]) == (640, 480) and result["file_type"] == "IMAGE"
    assert result["mime"] == "image/png"
    # The side effect: the facts are stored on the asset's artifact.
    assert client.artifact(result["artifact"]).metadata["inspect"]["width"] == 640
    assert "fileKey" in no_file["failedReason"] and "gone.png" in no_file["failedReason"], no_file
    assert "fileKey" in no_key["failedReason"], no_key


@pytest.mark.engine_settings(seed_queues=SEED_004)
async def test_seed_004_email_job_as_written(node, smtp, client, worker):
    settings, inbox = smtp
    attachment = {"filename": "brief.txt", "content": {"$buffer": base64.b64encode(b"stand brief v2").decode()},
                  "contentType": "text/plain"}
    templated = {"to": "lina@example.com", "subject": "You have a new task", "template": "task-assignment",
                 "data": {"recipientName": "Lina", "taskTitle": "Colour-grade the teaser cut",
                          "projectName": "Spring campaign", "assignedBy": "Omar Saleh", "dueDate": "Thursday",
                          "priority": "High", "taskUrl": "https://app.example.com/tasks/t_981"},
                 "attachments": [attachment]}
    plain = {"to": ["omar@example.com", "amira@example.com"], "subject": "Plain note", "template": "",
             "data": {"html": "<p>Booth <b>renders</b> are in.</p>", "text": "Booth renders are in."}}
    async with worker(["email"], settings=settings):
        sent = await seed_add(node, settings, "email", "__default__", templated)
        sent_plain = await seed_add(node, settings, "email", "__default__", plain)
        no_subject = await seed_add(node, settings, "email", "__default__",
                                    {k: v for k, v in templated.items() if k != "subject"})
        unknown = await seed_add(node, settings, "email", "__default__", {**templated, "template": "birthday"})
    assert sent.get("result", {}).get("status") == "sent", sent
    assert sent_plain.get("result", {}).get("status") == "sent", sent_plain
    by_subject = {m["Subject"]: m for m in inbox.messages}
    assert set(by_subject) == {"You have a new task", "Plain note"}
    task_mail = by_subject["You have a new task"]
    assert task_mail["To"] == "lina@example.com"
    assert "Colour-grade the teaser cut" in task_mail.get_body(("html",)).get_content()
    (brief,) = list(task_mail.iter_attachments())
    assert brief.get_filename() == "brief.txt" and brief.get_content() == "stand brief v2"
    note = by_subject["Plain note"]
    assert "omar@example.com" in note["To"] and "amira@example.com" in note["To"]
    assert "Booth renders are in." in note.get_body(("plain",)).get_content()
    assert "subject" in no_subject["failedReason"], no_subject
    assert "birthday" in unknown["failedReason"], unknown
    assert len(inbox.messages) == 2


@pytest.mark.engine_settings(seed_queues=SEED_004)
async def test_seed_004_notification_job_as_written(node, settings, worker):
    job = {"userId": "user_7", "type": "TASK_ASSIGNED", "title": "New task",
           "message": "Omar assigned you 'Colour-grade the teaser cut'", "data": {"priority": "High"},
           "projectId": "proj_1", "taskId": "task_981"}
    async with worker(["notifications"]):
        reply = await seed_add(node, settings, "notification", "__default__", job)
        no_user = await seed_add(node, settings, "notification", "__default__",
                                 {k: v for k, v in job.items() if k != "userId"})
    result = reply.get("result")
    assert result is not None, reply
    assert result["userId"] == "user_7" and result["projectId"] == "proj_1" and result["read"] is False
    with open_database(settings).session() as session:
        (row,) = session.scalars(select(Notification).where(Notification.user_id == "user_7")).all()
        assert (row.type, row.title, row.task_id, row.data) == ("TASK_ASSIGNED", "New task", "task_981",
                                                                {"priority": "High"})
    assert "userId" in no_user["failedReason"], no_user


@pytest.mark.engine_settings(seed_queues=SEED_004)
async def test_seed_004_analytics_job_as_written(node, settings, worker):
    # `timestamp: Date` reaches Redis as JSON.stringify writes a Date: an ISO string.
    when = (datetime.now(UTC) - timedelta(minutes=3)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    view = {"type": "ASSET_VIEW", "assetId": "asset_3", "userId": "user_7", "data": {"source": "grid"},
            "timestamp": when}
    search = {"type": "SEARCH", "userId": "user_7", "data": {"query": "trail mug"}, "timestamp": when}
    async with worker(["analytics"]):
        replies = [await seed_add(node, settings, "analytics", "__default__", job) for job in (view, search)]
        unknown = await seed_add(node, settings, "analytics", "__default__", {**view, "type": "ASSET_LIKE"})
    assert all(r.get("result", {}).get("written") is True for r in replies), replies
    with open_database(settings).session() as session:
        rows = session.scalars(select(AnalyticsEvent).order_by(AnalyticsEvent.id)).all()
    assert [(r.type, r.asset_id, r.user_id, r.data) for r in rows] == [
        ("ASSET_VIEW", "asset_3", "user_7", {"source": "grid"}), ("SEARCH", None, "user_7", {"query": "trail mug"})]
    assert abs(rows[0].occurred_at - datetime.fromisoformat(when)) < timedelta(seconds=1)
    assert "ASSET_LIKE" in unknown["failedReason"], unknown


@pytest.mark.engine_settings(seed_queues=SEED_004)
async def test_seed_004_old_analytics_cleanup_removes_the_seeds_old_events(node, settings, worker):
    # (test_seed_004_cleanup.py covers the other kinds and bad types.)
    def stamp(days_ago: float) -> str:
        return (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    async with worker(["analytics", "cleanup"]):
        for days_ago in (400, 2):  # one event past the year the seed keeps, one recent
            await seed_add(node, settings, "analytics", "__default__",
                           {"type": "ACTIVITY", "userId": "user_7", "data": {}, "timestamp": stamp(days_ago)})
        # The seed's monthly OLD_ANALYTICS job, as its scheduler adds it.
        reply = await seed_add(node, settings, "cleanup", "__default__", {"type": "OLD_ANALYTICS"})
    assert reply.get("result", {}).get("old_analytics") is not None, reply
    with open_database(settings).session() as session:
        left = session.scalars(select(AnalyticsEvent)).all()
    assert [round((datetime.now(UTC) - row.occurred_at).days) for row in left] == [2]

"""storage.cleanup's kinds on the records (SQLite and PostgreSQL): each removes only what it should,
is bounded by the batch size, idempotent, honest in a dry run, and takes the seed's CleanupJob shape."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from mediamill.db import open_database
from mediamill.db.models import (
    AnalyticsDaily,
    AnalyticsEvent,
    EmailMessage,
    JobRecord,
    PipelineRun,
    RunStep,
    ShareLink,
    WebhookDelivery,
)
from mediamill.db.repositories import analytics as analytics_records
from mediamill.db.repositories import artifacts as artifact_records
from mediamill.db.testing import on_each_database
from mediamill.storage import open_store
from mediamill.testing import call_task

settings = pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.external)],
                          name="settings")(on_each_database)

NOW = datetime.now(UTC)
DAY = timedelta(days=1)


def run(settings, params: dict) -> dict:
    return call_task(settings, "storage.cleanup", params)[0]


def count(database, model, *where) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def link(share_id: str, expires_at: datetime) -> ShareLink:
    return ShareLink(id=share_id, artifact_id="art_0000000000000000000000", token_hash=share_id.ljust(64, "0"),
                     expires_at=expires_at, downloads=0, created_at=NOW)


def test_expired_links_are_deactivated_once_and_a_dry_run_changes_nothing(settings):
    database = open_database(settings)
    with database.session() as session:
        session.add_all([link("shr_old1", NOW - DAY), link("shr_old2", NOW - timedelta(minutes=1)),
                         link("shr_fresh", NOW + DAY)])

    dry = run(settings, {"types": ["EXPIRED_LINKS"], "dry_run": True})
    assert dry == {"dry_run": True, "expired_links": {"links": 2, "more": False}}
    assert count(database, ShareLink, ShareLink.deactivated_at.is_(None)) == 3

    assert run(settings, {"type": "EXPIRED_LINKS"})["expired_links"] == {"links": 2, "more": False}
    with database.session() as session:
        reasons = {row.id: row.deactivated_reason for row in session.scalars(select(ShareLink))}
    assert reasons == {"shr_old1": "expired", "shr_old2": "expired", "shr_fresh": None}
    assert run(settings, {"type": "EXPIRED_LINKS"})["expired_links"]["links"] == 0  # idempotent


def test_old_variants_go_with_their_own_derivatives_and_the_rest_stays(settings):
    store = open_store(settings)
    parent = store.put(b"the original", key="parent")
    child = store.put(b"a variant", key="child", source_artifact=parent.id)
    grandchild = store.put(b"the variant's thumbnail", key="grandchild", source_artifact=child.id)
    kept_parent = store.put(b"another original", key="kept")
    kept_child = store.put(b"its variant", key="kept-child", source_artifact=kept_parent.id)
    # A source the records never knew (a fetched URL input, a seed producer's fileKey) but the store has.
    unrecorded = store.put(b"put by the app under its fileKey", key="uploads/photo.jpg")
    unrecorded_child = store.put(b"its thumbnail", key="unrecorded-child", source_artifact=unrecorded.id)
    database = open_database(settings)
    with database.session() as session:
        artifact_records.record(session, [parent, child, grandchild, kept_parent, kept_child, unrecorded_child])
        artifact_records.remove(session, [parent.id])  # deleted outside the lineage delete (an old version)
    store.delete(parent.id)

    dry = run(settings, {"types": ["old_variants"], "dry_run": True})["old_variants"]
    assert dry["records"] == 1 and store.exists(child.id)  # only the direct orphan is visible before deleting

    result = run(settings, {"types": ["OLD_VARIANTS"]})["old_variants"]
    assert result["records"] == 2 and result["artifacts"] == 2 and not result["more"]
    assert not store.exists(child.id) and not store.exists(grandchild.id)
    assert store.exists(kept_parent.id) and store.exists(kept_child.id) and store.exists(unrecorded_child.id)
    assert run(settings, {"types": ["old_variants"]})["old_variants"]["records"] == 0


def test_old_analytics_events_go_and_the_rollups_stay(settings):
    database = open_database(settings)
    times = (NOW - 400 * DAY, NOW - 380 * DAY, NOW - 10 * DAY)
    events = analytics_records.EventRows([("ASSET_VIEW", "ast_1", "u", "{}", when) for when in times],
                                         [when.date() for when in times], NOW)
    with database.session() as session:
        analytics_records.write_batch(session, "job_a", events)
    rollups = count(database, AnalyticsDaily)

    # The seed's CleanupJob as a Node producer sends it: type in capitals, options under data.
    result = run(settings, {"type": "OLD_ANALYTICS", "data": {"batch_size": 10}})["old_analytics"]
    assert result["events"] == 2 and not result["more"] and result["before"].startswith(str((NOW - 365 * DAY).year))
    assert count(database, AnalyticsEvent) == 1 and count(database, AnalyticsDaily) == rollups == 3


def test_old_job_and_run_records_go_with_their_steps_and_deliveries(settings):
    database = open_database(settings)
    old = NOW - 40 * DAY
    with database.session() as session:
        session.add_all([
            JobRecord(id="job_old", queue="assets", task="file.inspect", state="completed", finished_at=old),
            JobRecord(id="job_old_failed", queue="assets", task="file.inspect", state="failed", finished_at=old),
            JobRecord(id="job_new", queue="assets", task="file.inspect", state="completed", finished_at=NOW),
            JobRecord(id="job_of_open_run", queue="assets", task="file.inspect", state="completed",
                      finished_at=old, run="run_open"),
            JobRecord(id="job_still_active", queue="assets", task="file.inspect", state="active"),
            PipelineRun(id="run_old", pipeline="p", spec={}, state="completed", finished_at=old),
            PipelineRun(id="run_open", pipeline="p", spec={}, state="running"),
            RunStep(run="run_old", step="a", task="file.inspect", state="completed"),
            RunStep(run="run_open", step="a", task="file.inspect", state="running"),
            WebhookDelivery(job="job_old", url="https://example.com/hook", event="job.completed"),
        ])

    dry = run(settings, {"types": ["old_records"], "dry_run": True})["old_records"]
    assert (dry["jobs"], dry["runs"]) == (2, 1) and count(database, JobRecord) == 5

    result = run(settings, {"types": ["old_records"], "job_retention_days": 30})["old_records"]
    assert (result["jobs"], result["runs"], result["steps"], result["webhook_deliveries"]) == (2, 1, 1, 1)
    with database.session() as session:
        assert set(session.scalars(select(JobRecord.id))) == {"job_new", "job_of_open_run", "job_still_active"}
        assert set(session.scalars(select(PipelineRun.id))) == {"run_open"}
        assert count(database, RunStep) == 1 and count(database, WebhookDelivery) == 0


def test_old_emails_are_removed_in_bounded_batches(settings):
    database = open_database(settings)
    with database.session() as session:
        session.add_all([EmailMessage(idempotency_key=f"k{i}", recipients=["a@example.com"], sender="s@example.com",
                                      subject="hi", transport="outbox", message_id=f"<{i}@x>", status="sent",
                                      created_at=NOW - (100 + i) * DAY) for i in range(5)]
                        + [EmailMessage(idempotency_key="recent", recipients=["a@example.com"],
                                        sender="s@example.com", subject="hi", transport="outbox",
                                        message_id="<r@x>", status="sent", created_at=NOW)])

    first = run(settings, {"types": ["old_emails"], "batch_size": 2})["old_emails"]
    assert first["emails"] == 2 and first["more"]
    assert run(settings, {"types": ["old_emails"], "batch_size": 2})["old_emails"]["emails"] == 2
    last = run(settings, {"types": ["old_emails"], "batch_size": 2})["old_emails"]
    assert last["emails"] == 1 and not last["more"]
    assert count(database, EmailMessage) == 1


def test_temp_files_include_pending_uploads(settings):
    pending = settings.resolved_data_dir / "tmp" / "uploads" / "upload-0123456789abcdef"
    pending.parent.mkdir(parents=True, exist_ok=True)
    pending.write_bytes(b"x" * 10)
    fresh = pending.with_name("upload-fedcba9876543210")
    fresh.write_bytes(b"y")
    stamp = time.time() - 25 * 3600
    os.utime(pending, (stamp, stamp))

    dry = run(settings, {"types": ["TEMP_FILES"], "dry_run": True})["temp_files"]
    assert dry["files"] == 1 and pending.exists()
    assert run(settings, {"types": ["temp_files"]})["temp_files"]["files"] == 1
    assert not pending.exists() and fresh.exists()


@pytest.mark.parametrize(("params", "words"), [
    ({"type": "EVERYTHING"}, "type 'EVERYTHING' is not a cleanup kind; known: EXPIRED_ARTIFACTS"),
    ({"types": ["everything"]}, "types"),
    ({"type": "TEMP_FILES", "types": ["temp_files"]}, "not both"),
    ({"type": "TEMP_FILES", "data": {"surprise": 1}}, "surprise"),
    ({"batch_size": 0}, "batch_size"),
])
def test_bad_cleanup_params_name_the_field(settings, params, words):
    from mediamill.errors import BadInput

    with pytest.raises(BadInput, match=words):
        run(settings, params)

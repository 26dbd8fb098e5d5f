"""Records round-trip on both backends: job upserts (first sight, stale writes), artifacts, keys, deliveries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mediamill.db import open_database
from mediamill.db.models import ApiKey, WebhookDelivery
from mediamill.db.repositories import artifacts, jobs, keys, webhooks
from mediamill.storage.artifact import Artifact


def test_job_created_on_submit_then_updated_by_the_worker(db_settings):
    db = open_database(db_settings)
    with db.session() as s:
        jobs.create_if_absent(s, {"id": "job_1", "queue": "assets", "task": "file.inspect",
                                  "params": {"a": 1}, "notify_url": "https://example.com/hook"})
    with db.session() as s:
        jobs.upsert_many(s, [{"id": "job_1", "queue": "assets", "task": "file.inspect", "params": {"a": 2},
                              "state": "active", "attempts": 1, "progress": 40.0, "current_step": "hashing"}])
    with db.session() as s:
        record = jobs.get(s, "job_1")
        assert (record.state, record.attempts, record.progress, record.current_step) == ("active", 1, 40.0, "hashing")
        # Facts recorded at submission are not rewritten by a worker's row.
        assert record.params == {"a": 1} and record.notify_url == "https://example.com/hook"
        assert record.created_at.tzinfo is not None


def test_worker_creates_the_row_of_a_job_it_sees_first(db_settings):
    db = open_database(db_settings)
    with db.session() as s:
        jobs.upsert_many(s, [{"id": "job_2", "queue": "text", "task": "text.copy", "state": "active", "attempts": 1,
                              "inputs": [{"artifact": "art_123456789"}]}])
        jobs.create_if_absent(s, {"id": "job_2", "queue": "text", "task": "text.copy"})  # the late submit record
    with db.session() as s:
        record = jobs.get(s, "job_2")
        assert record.state == "active" and record.inputs == [{"artifact": "art_123456789"}]


def test_a_late_write_about_an_earlier_attempt_is_ignored(db_settings):
    db = open_database(db_settings)
    base = {"id": "job_3", "queue": "assets", "task": "file.inspect"}
    with db.session() as s:
        jobs.upsert_many(s, [{**base, "state": "completed", "attempts": 2, "result": {"ok": True}}])
    with db.session() as s:
        jobs.upsert_many(s, [{**base, "state": "delayed", "attempts": 1}])
    with db.session() as s:
        assert jobs.get(s, "job_3").state == "completed"


def test_a_completed_row_is_recorded_once(db_settings):
    # The run that follows a worker killed between recording the completion and Redis acknowledging
    # it writes the same attempt again: started, progress, completed. None of it changes the row.
    db = open_database(db_settings)
    base = {"id": "job_4", "queue": "assets", "task": "file.inspect", "attempts": 1}
    first = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as s:
        jobs.upsert_many(s, [{**base, "state": "completed", "result": {"run": 1}, "finished_at": first}])
    with db.session() as s:
        jobs.upsert_many(s, [{**base, "state": "active", "progress": 0.0, "finished_at": None}])
        jobs.upsert_many(s, [{**base, "state": "completed", "result": {"run": 2}, "finished_at": first + timedelta(1)}])
    with db.session() as s:
        row = jobs.get(s, "job_4")
        assert (row.state, row.result, row.finished_at.replace(tzinfo=UTC)) == ("completed", {"run": 1}, first)


def test_list_recent_pages_newest_first(db_settings):
    db = open_database(db_settings)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as s:
        jobs.upsert_many(s, [{"id": f"job_{i:02d}", "queue": "assets", "task": "file.inspect", "attempts": 0,
                              "state": "completed" if i % 2 else "failed", "created_at": start + timedelta(minutes=i)}
                             for i in range(10)])
    with db.session() as s:
        assert [r.id for r in jobs.list_recent(s, limit=3)] == ["job_09", "job_08", "job_07"]
        assert [r.id for r in jobs.list_recent(s, limit=2, before="job_07")] == ["job_06", "job_05"]
        assert {r.state for r in jobs.list_recent(s, state="failed")} == {"failed"}


def test_artifact_records_and_expiry(db_settings):
    db = open_database(db_settings)
    now = datetime.now(UTC)
    old = Artifact(id="art_old000000", sha256="a" * 64, size=3, mime="text/plain", expires_at=now - timedelta(hours=1))
    new = Artifact(id="art_new000000", sha256="b" * 64, size=5, mime="image/png", name="x.png",
                   metadata={"width": 2}, expires_at=now + timedelta(hours=1), job="job_1")
    with db.session() as s:
        artifacts.record(s, [old, new])
        artifacts.record(s, [new.model_copy(update={"size": 6})])  # a retry overwrites
    with db.session() as s:
        assert [r.id for r in artifacts.expired(s, now)] == ["art_old000000"]
        back = artifacts.to_artifact(artifacts.get(s, "art_new000000"))
        assert (back.size, back.metadata, back.job) == (6, {"width": 2}, "job_1")
        artifacts.remove(s, ["art_old000000"])
    with db.session() as s:
        assert artifacts.get(s, "art_old000000") is None


def test_keys_and_deliveries(db_settings):
    db = open_database(db_settings)
    with db.session() as s:
        assert not keys.any_active(s)
        keys.add(s, ApiKey(id="key_1", name="app", prefix="abc", hash="0" * 64, scopes=["read"]))
        webhooks.record(s, WebhookDelivery(job="job_1", url="https://x", event="job.completed", attempt=1,
                                           status_code=500, ok=False))
    with db.session() as s:
        assert keys.any_active(s) and keys.by_prefix(s, "abc").scopes == ["read"]
        assert [d.status_code for d in webhooks.for_job(s, "job_1")] == [500]

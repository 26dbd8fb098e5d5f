"""The records sweep: rows a killed worker left unfinished are finished from BullMQ's state of the job."""

from __future__ import annotations

import asyncio

from mediamill.client import AsyncClient
from mediamill.db import open_database
from mediamill.db.repositories import jobs as job_records
from mediamill.engine.connection import redis_url
from mediamill.engine.redis_urls import redis_client
from mediamill.records import reconcile


def _left_by_a_killed_worker(database, job_id: str) -> None:
    """What a worker SIGKILLed before its writer flushed the outcome leaves: the row of the running job."""
    with database.session() as session:
        job_records.set_fields(session, job_id, state="active", result=None, error=None, finished_at=None)


async def _sweep(settings, database, **kw):
    redis = redis_client(redis_url(settings), decode_responses=True)
    try:
        return await reconcile.sweep(redis, database, settings, **kw)
    finally:
        await redis.aclose()


async def test_a_sweep_finishes_rows_from_redis_and_leaves_pending_jobs_alone(worker, db_settings, tmp_path):
    async with AsyncClient(db_settings) as client:
        await _finishes_rows(client, worker, db_settings, tmp_path)


async def _finishes_rows(client, worker, db_settings, tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("abc")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    async with worker(["assets"], settings=db_settings):
        done = await client.submit("file.inspect", {"text_preview_chars": 2}, [source])
        bad = await client.submit("asset.inspect", {}, [empty])  # fails at once: not an image
        await done.result(30)
        assert (await bad.wait(timeout=30)).state == "failed"
    waiting = await client.submit("file.inspect", {"text_preview_chars": 2}, [source])  # no worker: it waits
    database = open_database(db_settings)
    with database.session() as session:
        job_records.create_if_absent(session, {"id": "job_gone", "queue": "assets", "task": "file.inspect",
                                               "state": "active", "attempts": 1})
        expected_error = job_records.get(session, bad.id).error
        # The row the API makes on submit (this client leaves it to the worker): in Redis the job waits.
        job_records.create_if_absent(session, {"id": waiting.id, "queue": "assets", "task": "file.inspect"})
    _left_by_a_killed_worker(database, done.id)
    _left_by_a_killed_worker(database, bad.id)

    swept = await _sweep(db_settings, database, grace_s=60)  # all younger than the grace period: untouched
    assert swept.looked_at == 0 and not swept.fixed
    swept = await _sweep(db_settings, database, grace_s=0)
    assert sorted(swept.fixed) == sorted([done.id, bad.id, "job_gone"])
    assert (swept.completed, swept.failed, swept.unknown) == (1, 1, 1)
    with database.session() as session:
        row = job_records.get(session, done.id)
        assert (row.state, row.result["preview"], row.progress, row.attempts) == ("completed", "ab", 100.0, 1)
        assert row.started_at <= row.finished_at
        row = job_records.get(session, bad.id)
        assert row.state == "failed" and row.error == expected_error and row.finished_at is not None
        row = job_records.get(session, "job_gone")
        assert row.state == "unknown" and row.error["type"] == "OutcomeUnknown" and "gone from Redis" in \
            row.error["message"]
        assert job_records.get(session, waiting.id).state == "queued"
    assert (await _sweep(db_settings, database, grace_s=0)).fixed == []  # nothing left to finish


async def test_a_sweep_is_bounded_and_goes_on_where_the_last_one_stopped(db_settings):
    database = open_database(db_settings)
    with database.session() as session:
        for n in range(5):
            job_records.create_if_absent(session, {"id": f"job_gone{n}", "queue": "assets", "task": "file.inspect"})
    first = await _sweep(db_settings, database, grace_s=0, limit=3)
    assert len(first.fixed) == 3 and first.cursor is not None
    second = await _sweep(db_settings, database, grace_s=0, limit=3, after=first.cursor)
    assert len(second.fixed) == 2 and second.cursor is None


async def test_a_worker_sweeps_once_its_records_database_is_open(worker, db_settings, monkeypatch):
    monkeypatch.setattr(reconcile, "GRACE_S", 0.0)
    settings = db_settings.model_copy(update={"records_reconcile_s": 0.2})
    database = open_database(settings)
    with database.session() as session:
        job_records.create_if_absent(session, {"id": "job_gone", "queue": "assets", "task": "file.inspect",
                                               "state": "active", "attempts": 1})
    async with worker(["assets"], settings=settings):
        for _ in range(300):
            with database.session() as session:
                if job_records.get(session, "job_gone").state == "unknown":
                    break
            await asyncio.sleep(0.1)
    with database.session() as session:
        assert job_records.get(session, "job_gone").state == "unknown"

"""The records writer and middleware: coalesced batched writes, rows for jobs first seen by a worker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from mediamill.db import open_database
from mediamill.db.repositories import artifacts as artifact_records
from mediamill.db.repositories import jobs as job_records
from mediamill.records.writer import RecordWriter
from mediamill.storage.artifact import Artifact

IDENTITY = {"queue": "assets", "task": "file.inspect", "params": {}, "inputs": []}


def test_many_updates_of_one_job_coalesce_into_one_row_write(db_settings):
    database = open_database(db_settings)
    writer = RecordWriter(database)
    writer.job("job_a", **IDENTITY, attempts=1, state="active", started_at=datetime.now(UTC))
    for percent in range(100):
        writer.job("job_a", attempts=1, progress=float(percent), current_step="work")
    writer.job("job_a", attempts=1, state="completed", progress=100.0, result={"ok": 1})
    writer.created({"id": "job_a", **IDENTITY})  # the API's late submit record changes nothing
    writer.artifacts([Artifact(id="art_out0000000", sha256="c" * 64, size=1, mime="text/plain", job="job_a")])
    assert writer.flush() == 2 and writer.flush() == 0
    with database.session() as session:
        record = job_records.get(session, "job_a")
        assert (record.state, record.progress, record.current_step, record.result) == ("completed", 100.0, "work",
                                                                                        {"ok": 1})
        assert artifact_records.get(session, "art_out0000000").job == "job_a"


def test_the_flusher_thread_writes_within_its_interval_and_on_stop(db_settings):
    import time

    database = open_database(db_settings)
    writer = RecordWriter(database, interval_s=0.05)
    writer.start()
    writer.job("job_b", **IDENTITY, attempts=1, state="active")
    deadline = time.monotonic() + 10
    while writer.flushes == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    writer.job("job_b", attempts=1, state="failed", error={"type": "BadInput", "message": "no"})
    writer.stop()
    with database.session() as session:
        assert job_records.get(session, "job_b").state == "failed"


def test_a_failed_flush_keeps_the_rows_then_drops_only_a_poison_row(db_settings):
    database = open_database(db_settings)
    writer = RecordWriter(database)
    writer.job("job_c", **IDENTITY, attempts=1, state="active")
    writer.job("job_d", **IDENTITY, attempts=1, state="active", result=object())  # not JSON: the batch fails
    assert writer.flush() == 0 and writer.flush() == 0  # kept and retried
    assert writer.flush() == 1  # the third time, rows go one by one; the unwritable one is dropped
    assert writer.flush() == 0
    with database.session() as session:
        assert job_records.get(session, "job_c").state == "active"
        assert job_records.get(session, "job_d") is None


async def test_a_job_submitted_without_the_api_gets_its_row_from_the_worker(client, worker, settings, tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("abc")
    async with worker(["assets"]):
        handle = await client.submit("file.inspect", {"text_preview_chars": 2}, [source])
        await handle.result(30)
    # The worker's stop flushed its writer.
    with open_database(settings).session() as session:
        record = job_records.get(session, handle.id)
        assert record.task == "file.inspect" and record.queue == "assets" and record.state == "completed"
        assert record.params == {"text_preview_chars": 2} and record.inputs[0]["artifact"].startswith("art_")
        assert record.attempts == 1 and record.max_attempts >= 1 and record.result["preview"] == "ab"
        assert record.created_at <= record.started_at <= record.finished_at


def test_a_writer_given_open_after_opens_its_database_only_once_told_or_at_its_wait(db_settings):
    """A worker's writer opens the database after its first job (SQLAlchemy's import would compete
    with that job); the rows written meanwhile wait, and none is lost."""
    import threading
    import time

    opened: list[float] = []

    def opener():
        opened.append(time.monotonic())
        return open_database(db_settings)

    told = threading.Event()
    writer = RecordWriter(opener=opener, open_after=told, open_wait_s=60, interval_s=0.05)
    writer.start()
    writer.job("job_e", **IDENTITY, attempts=1, state="active")
    time.sleep(0.3)  # several flush intervals: nothing opened, the row waits
    assert opened == [] and writer.flushes == 0
    told.set()
    deadline = time.monotonic() + 30
    while writer.flushes == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    writer.stop()
    assert len(opened) == 1
    with open_database(db_settings).session() as session:
        assert job_records.get(session, "job_e").state == "active"

    # Never told: it opens after its wait all the same, and a stop before that still writes the rows.
    for wait_s, stop_at_once in ((0.05, False), (60, True)):
        opened.clear()
        writer = RecordWriter(opener=opener, open_after=threading.Event(), open_wait_s=wait_s, interval_s=0.05)
        writer.start()
        writer.job(f"job_f{wait_s}", **IDENTITY, attempts=1, state="active")
        deadline = time.monotonic() + 30
        while not stop_at_once and writer.flushes == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        writer.stop()
        assert len(opened) == 1
        with open_database(db_settings).session() as session:
            assert job_records.get(session, f"job_f{wait_s}").state == "active"


async def test_open_now_opens_the_records_database_before_any_job(db_settings):
    from mediamill.records.middleware import RecordsMiddleware

    hook = RecordsMiddleware(db_settings)
    await hook.on_worker_start(None)
    try:
        assert hook.writer.database is None  # it waits for a first job by default
        await asyncio.wait_for(hook.open_now(), 60)
        assert hook.writer.database is not None
    finally:
        await hook.on_worker_stop(None)


def test_an_idle_writer_sleeps_until_a_write_comes_and_then_flushes_it(db_settings):
    """With nothing pending the thread waits for the next write instead of waking every interval."""
    import time

    database = open_database(db_settings)
    writer = RecordWriter(database, interval_s=0.05)
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while not writer._asleep and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writer._asleep and writer.flushes == 0
        for n in range(2):  # asleep again after the first flush, woken again by the next write
            writer.job(f"job_idle{n}", **IDENTITY, attempts=1, state="active")
            deadline = time.monotonic() + 10
            while writer.flushes == n and time.monotonic() < deadline:
                time.sleep(0.01)
            assert writer.flushes == n + 1
            with database.session() as session:
                assert job_records.get(session, f"job_idle{n}").state == "active"
    finally:
        writer.stop()

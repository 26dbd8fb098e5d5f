"""storage.cleanup: expired artifacts leave the store and the records, fresh ones stay; stale temp files go."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest

from mediamill.errors import BadInput, NotFound
from mediamill.storage import open_store
from mediamill.storage.artifact import utcnow
from mediamill.testing import call_task

DAY = 24 * 3600


@pytest.fixture
def store(settings):
    return open_store(settings)


def put(store, data: bytes, hours: float | None, key: str):
    expires = None if hours is None else utcnow() + timedelta(hours=hours)
    return store.put(data, key=key, expires_at=expires, name=f"{key}.txt")


def test_expired_artifacts_are_deleted_and_the_rest_kept(settings, store):
    expired = put(store, b"old output", -1, "expired")
    fresh = put(store, b"new output", 23, "fresh")
    forever = put(store, b"an upload", None, "upload")
    shares_bytes = put(store, b"new output", -2, "expired-twin")  # same bytes as `fresh`

    result, ctx = call_task(settings, "storage.cleanup")

    assert result["expired_artifacts"] == {"artifacts": 2, "bytes": 20, "records": 0, "missing": 0, "links": 0}
    for gone in (expired, shares_bytes):
        with pytest.raises(NotFound):
            store.stat(gone.id)
    assert not store.blob_path(expired.sha256).exists()
    assert store.open(fresh.id).read() == b"new output"  # its blob was shared with a deleted one
    assert store.open(forever.id).read() == b"an upload"
    assert ctx._reporter.events[-1] == ("progress", 100.0, "done")


def test_no_records_database_is_created_where_none_exists(settings, store):
    put(store, b"x", -1, "expired")
    call_task(settings, "storage.cleanup")
    assert not (settings.resolved_data_dir / "mediamill.db").exists()


def test_expired_records_are_deleted_with_their_bytes(settings, store):
    from mediamill.db import open_database
    from mediamill.db.repositories import artifacts as records

    expired = put(store, b"recorded, expired", -1, "expired")
    fresh = put(store, b"recorded, fresh", 5, "fresh")
    gone = put(store, b"bytes already gone", -3, "gone")
    store.delete(gone.id)
    database = open_database(settings)
    with database.session() as session:
        records.record(session, [expired, fresh, gone])

    result, _ = call_task(settings, "storage.cleanup", {"types": ["expired_artifacts"]})

    assert result == {"expired_artifacts": {"artifacts": 1, "bytes": 17, "records": 2, "missing": 1, "links": 0}}
    with database.session() as session:
        assert records.get(session, expired.id) is None and records.get(session, gone.id) is None
        assert records.get(session, fresh.id) is not None
    assert store.exists(fresh.id) and not store.exists(expired.id)


def age(path, seconds: float) -> None:
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def test_stale_temporary_files_are_removed(settings, store):
    stale_stage = store.tmp_dir / "stage-0123456789abcdef"
    fresh_stage = store.tmp_dir / "fetch-fedcba9876543210"
    stale_stage.write_bytes(b"s" * 100)
    fresh_stage.write_bytes(b"f" * 10)
    age(stale_stage, DAY + 60)
    scratch = settings.resolved_data_dir / "scratch"
    old_job = scratch / "job_old-1-123"
    (old_job / "frames").mkdir(parents=True)
    (old_job / "frames" / "0001.png").write_bytes(b"p" * 50)
    for path in (old_job / "frames" / "0001.png", old_job / "frames", old_job):
        age(path, 2 * DAY)
    running_job = scratch / "job_running-1-456"
    (running_job / "work").mkdir(parents=True)
    (running_job / "work" / "part.mp4").write_bytes(b"v")  # written just now
    age(running_job, 2 * DAY)  # an old dir whose contents are fresh is still in use

    result, _ = call_task(settings, "storage.cleanup", {"types": ["TEMP_FILES"]})

    assert result == {"temp_files": {"files": 1, "dirs": 1, "bytes": 150}}
    assert not stale_stage.exists() and fresh_stage.exists()
    assert not old_job.exists() and running_job.exists()


def test_max_age_is_a_parameter(settings, store):
    leftover = store.tmp_dir / "stage-aaaaaaaaaaaaaaaa"
    leftover.write_bytes(b"x")
    age(leftover, 3 * 3600)
    result, _ = call_task(settings, "storage.cleanup", {"types": ["temp_files"], "temp_max_age_hours": 2})
    assert result["temp_files"]["files"] == 1 and not leftover.exists()


@pytest.mark.parametrize(("params", "field"), [
    ({"types": ["OLD_ANALYTICS_TYPO"]}, "params.types.0"),
    ({"temp_max_age_hours": 0}, "params.temp_max_age_hours"),
    ({"bogus": True}, "params.bogus"),
])
def test_bad_params_are_refused(settings, params, field):
    with pytest.raises(BadInput, match=field):
        call_task(settings, "storage.cleanup", params)

"""Two attempts of one job (a cut-off worker and the one that took its job over) never share an output.

The order is forced, not left to luck: the new owner stores and records its file first, then the
cut-off attempt stores its own late, as when its upload completes after its cable is back. On the
local store and on S3 (moto), the recorded artifact keeps its bytes; the late attempt's file has an
id of its own, listed in its scratch dir, and the cleanup of an unrecorded attempt deletes it
without touching the new owner's, even when both made the same bytes (one shared blob).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mediamill.engine.attempts import attempt_outputs, drop_outputs
from mediamill.errors import NotFound
from mediamill.storage.base import ArtifactStore
from mediamill.storage.local import LocalStore
from mediamill.tasks.context import JobInfo, TaskContext

JOB = "job_0123456789abcdef"


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    return request.getfixturevalue("s3_store")


def attempt(store: ArtifactStore, claim: str | None, tmp_path: Path) -> TaskContext:
    info = JobInfo(job_id=JOB, task="clustertest.slow", queue="clustertest", run="run_1", step="make", claim=claim)
    return TaskContext(job=info, store=store, scratch=tmp_path / f"scratch-{claim}")


def test_a_late_attempt_never_changes_the_recorded_file(store, tmp_path):
    winner = attempt(store, "worker-2:7", tmp_path).put(b"made by worker-2\n", name="made-by.txt")
    recorded = winner.ref()  # what the fenced record holds
    cut_off = attempt(store, "worker-1:3", tmp_path)
    late = cut_off.put(b"made by worker-1\n", name="made-by.txt")

    assert late.id != winner.id
    assert store.open(winner.id).read() == b"made by worker-2\n"
    assert store.stat(winner.id).sha256 == recorded["sha256"] == hashlib.sha256(b"made by worker-2\n").hexdigest()

    # The fence found the late attempt's lock lost: its own output goes, the recorded one stays.
    assert attempt_outputs(cut_off.scratch) == [late.id]  # what the attempt stored, listed by put
    assert drop_outputs(store, attempt_outputs(cut_off.scratch), JOB) == [late.id]
    with pytest.raises(NotFound):
        store.stat(late.id)
    assert store.open(winner.id).read() == b"made by worker-2\n"
    assert [a.id for a in store.iter_artifacts() if a.job == JOB] == [winner.id]


def test_the_cleanup_keeps_a_blob_the_recorded_file_shares(store, tmp_path):
    winner = attempt(store, "worker-2:7", tmp_path).put(b"same bytes from both\n", name="out.txt")
    late = attempt(store, "worker-1:3", tmp_path).put(b"same bytes from both\n", name="out.txt")
    assert late.id != winner.id and late.sha256 == winner.sha256

    drop_outputs(store, [late.id], JOB)
    assert store.open(winner.id).read() == b"same bytes from both\n"


def test_the_cleanup_deletes_only_what_the_job_made(store, tmp_path):
    given = store.put(b"an input from an upload\n", name="in.txt")  # no job made it
    late = attempt(store, "worker-1:3", tmp_path).put(b"late\n", name="out.txt")
    assert drop_outputs(store, [given.id, late.id, late.id], JOB) == [late.id]
    assert store.open(given.id).read() == b"an input from an upload\n"


def test_outside_a_worker_the_id_follows_the_job_and_name_alone(store, tmp_path):
    bare = attempt(store, None, tmp_path)
    first = bare.put(b"one\n", name="out.txt")
    again = attempt(store, None, tmp_path).put(b"two\n", name="out.txt")
    assert first.id == again.id and store.open(first.id).read() == b"two\n"
    assert attempt_outputs(bare.scratch) == []  # nothing to clean up after: no attempt owns it

"""LocalStore: blobs shared by artifacts with the same bytes, claimed per artifact, deleted with their
last claim; stores made before claims existed are brought up to date; put and delete race safely."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from mediamill.errors import NotFound
from mediamill.storage.local import REFS_COMPLETE, LocalStore


def test_a_shared_blob_goes_with_its_last_artifact(tmp_path):
    store = LocalStore(tmp_path)
    one = store.put(b"same bytes", key="job_a/out")
    two = store.put(b"same bytes", key="job_b/out")
    blob = store.blob_path(one.sha256)
    store.delete(one.id)
    assert blob.exists() and store.open(two.id).read() == b"same bytes"
    store.delete(two.id)
    assert not blob.exists()
    with pytest.raises(NotFound):
        store.stat(two.id)


def test_putting_a_key_again_with_new_bytes_frees_the_old_blob(tmp_path):
    store = LocalStore(tmp_path)
    first = store.put(b"attempt 1", key="job/out")
    old_blob = store.blob_path(first.sha256)
    second = store.put(b"attempt 2", key="job/out")  # a retried job overwrites its output
    assert second.id == first.id and not old_blob.exists()
    assert store.open(second.id).read() == b"attempt 2"


def test_a_store_from_before_claims_is_claimed_when_opened(tmp_path):
    store = LocalStore(tmp_path)
    one = store.put(b"old bytes", key="a")
    two = store.put(b"old bytes", key="b")
    # What an older mediamill left behind: blobs and metadata, no claims.
    for path in sorted((tmp_path / "refs").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    assert not (tmp_path / "refs" / REFS_COMPLETE).exists()

    reopened = LocalStore(tmp_path)
    reopened.delete(one.id)
    assert reopened.open(two.id).read() == b"old bytes", "the other artifact's claim was found"
    reopened.delete(two.id)
    assert not reopened.blob_path(two.sha256).exists()


def test_delete_does_not_read_every_artifact(tmp_path, monkeypatch):
    store = LocalStore(tmp_path)
    made = [store.put(f"bytes {index}".encode(), key=f"k{index}") for index in range(50)]
    monkeypatch.setattr(LocalStore, "iter_artifacts", lambda self: pytest.fail("delete scanned the store"))
    for artifact in made:
        store.delete(artifact.id)
    assert not [path for path in (tmp_path / "blobs").rglob("*") if path.is_file()]


def _churn(root: str, worker: int, rounds: int) -> None:
    store = LocalStore(Path(root))
    for index in range(rounds):
        made = store.put(b"the bytes everybody shares", key=f"w{worker}/{index}")
        assert store.open(made.id).read() == b"the bytes everybody shares"
        store.delete(made.id)


def test_puts_and_deletes_of_the_same_bytes_in_parallel_keep_every_live_blob(tmp_path):
    # Each process puts, reads back and deletes the same bytes over and over: without the blob lock a
    # delete could remove the blob that another process had just put (its read then fails).
    LocalStore(tmp_path)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_churn, args=(str(tmp_path), worker, 150)) for worker in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
    assert [process.exitcode for process in workers] == [0, 0, 0, 0]
    assert not [path for path in (tmp_path / "blobs").rglob("*") if path.is_file()], "nothing left behind"

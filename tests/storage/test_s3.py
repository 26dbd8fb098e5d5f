"""S3Store against a real S3 API (moto server): layout, shared blobs, streaming uploads, ranged reads."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from datetime import timedelta

import pytest

from mediamill.errors import ConfigError, NotFound
from mediamill.storage import open_store
from mediamill.storage.artifact import utcnow
from mediamill.storage.s3 import S3Store

PNG_HEAD = b"\x89PNG\r\n\x1a\n" + bytes(100)


def keys(store: S3Store) -> list[str]:
    listing = store.client.list_objects_v2(Bucket=store.bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_put_stat_open_and_layout(s3_store):
    expires = utcnow() + timedelta(hours=24)
    artifact = s3_store.put(b"hello s3\n", name="../greeting.txt", metadata={"lang": "en"}, expires_at=expires)
    sha = hashlib.sha256(b"hello s3\n").hexdigest()
    assert artifact.sha256 == sha and artifact.size == 9 and artifact.mime == "text/plain"
    assert artifact.name == "greeting.txt"
    assert keys(s3_store) == [f"outputs/blobs/{sha}", f"outputs/meta/{artifact.id}.json",
                              f"outputs/refs/{sha}/{artifact.id}"]
    again = s3_store.stat(artifact.id)
    assert again == artifact
    with s3_store.open(artifact.id) as reader:
        assert reader.read() == b"hello s3\n"
    assert list(s3_store.tmp_dir.glob("stage-*")) == []  # staging file removed


def test_local_path_downloads_into_scratch_or_cache(s3_store, tmp_path):
    artifact = s3_store.put(PNG_HEAD, name="x.png")
    assert artifact.mime == "image/png"
    scratch = tmp_path / "scratch"
    path = s3_store.local_path(artifact.id, scratch=scratch)
    assert path.parent == scratch and path.read_bytes() == PNG_HEAD
    cached = s3_store.local_path(artifact.id)
    assert cached.parent == s3_store.cache_dir and cached.read_bytes() == PNG_HEAD
    assert s3_store.local_path(artifact.id) == cached  # second call reuses the copy
    assert not [p for p in s3_store.cache_dir.iterdir() if p.name.endswith(".part")]


def test_open_is_seekable_with_ranged_reads(s3_store):
    data = os.urandom(3 * 1024 * 1024 + 17)
    artifact = s3_store.put(data)
    with s3_store.open(artifact.id) as reader:
        reader.seek(2 * 1024 * 1024)
        assert reader.read(100) == data[2 * 1024 * 1024: 2 * 1024 * 1024 + 100]
        reader.seek(-17, os.SEEK_END)
        assert reader.read() == data[-17:]
        reader.seek(5)
        assert reader.read(3) == data[5:8]


def test_shared_blob_is_deleted_with_its_last_artifact(s3_store):
    one = s3_store.put(b"same bytes", key="job_a/out")
    two = s3_store.put(b"same bytes", key="job_b/out")
    assert one.id != two.id and one.sha256 == two.sha256
    blob = f"outputs/blobs/{one.sha256}"
    s3_store.delete(one.id)
    assert blob in keys(s3_store) and s3_store.open(two.id).read() == b"same bytes"
    with pytest.raises(NotFound):
        s3_store.stat(one.id)
    s3_store.delete(two.id)
    assert keys(s3_store) == []


def test_overwriting_a_key_with_new_bytes_releases_the_old_blob(s3_store):
    first = s3_store.put(b"attempt one", key="run/step/job/out.txt")
    second = s3_store.put(b"attempt two", key="run/step/job/out.txt")
    assert first.id == second.id
    assert f"outputs/blobs/{first.sha256}" not in keys(s3_store)
    assert s3_store.open(second.id).read() == b"attempt two"


def test_update_metadata(s3_store):
    artifact = s3_store.put(b"x", metadata={"a": 1})
    s3_store.update_metadata(artifact.id, {"b": 2})
    assert s3_store.stat(artifact.id).metadata == {"a": 1, "b": 2}


def test_iter_artifacts_lists_every_record(s3_store):
    made = {s3_store.put(f"file {i}".encode(), key=f"k{i}").id for i in range(5)}
    assert {a.id for a in s3_store.iter_artifacts()} == made


def test_unknown_and_malformed_ids_are_not_found(s3_store):
    for bad in ("art_000000000000000000000000", "art_../../etc", "nope", "art_a/b"):
        with pytest.raises(NotFound):
            s3_store.stat(bad)
        assert not s3_store.exists(bad)


def test_missing_bytes_are_not_found(s3_store, tmp_path):
    artifact = s3_store.put(b"soon gone")
    s3_store.client.delete_object(Bucket=s3_store.bucket, Key=s3_store.blob_key(artifact.sha256))
    with pytest.raises(NotFound, match="are gone"):
        s3_store.local_path(artifact.id, scratch=tmp_path)
    with pytest.raises(NotFound, match="are gone"):
        s3_store.open(artifact.id).read()


def test_large_upload_streams_as_multipart(s3_store, tmp_path):
    from boto3.s3.transfer import TransferConfig

    # Given a 24 MiB file and 5 MiB parts (S3's minimum), at most 2 in flight
    s3_store.transfer_config = TransferConfig(multipart_threshold=5 * 2**20, multipart_chunksize=5 * 2**20,
                                              max_concurrency=2)
    source = tmp_path / "big.bin"
    with open(source, "wb") as out:
        for _ in range(24):
            out.write(os.urandom(2**20))
    tracemalloc.start()
    try:
        artifact = s3_store.put(source, name="big.bin")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Then S3 received a multipart upload (its ETag counts the parts) and memory stayed well under the size
    etag = s3_store.client.head_object(Bucket=s3_store.bucket, Key=s3_store.blob_key(artifact.sha256))["ETag"]
    assert etag.strip('"').endswith("-5")
    assert peak < 16 * 2**20, f"peak Python memory {peak / 2**20:.1f} MiB for a 24 MiB upload"
    copy = s3_store.copy_to(artifact.id, tmp_path / "copy.bin")
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == artifact.sha256


def test_ping(s3_store, s3_endpoint, tmp_path):
    s3_store.ping()
    missing = S3Store.from_url("s3://no-such-bucket-here", endpoint_url=s3_endpoint, tmp_root=tmp_path)
    with pytest.raises(Exception, match="404|NoSuchBucket|Not Found"):
        missing.ping()


@pytest.mark.parametrize(("url", "bucket", "prefix"), [
    ("s3://media", "media", ""), ("s3://media/a/b/", "media", "a/b"), ("s3://media/x?region=eu-west-1", "media", "x"),
])
def test_from_url(url, bucket, prefix, s3_endpoint, tmp_path):
    store = S3Store.from_url(url, endpoint_url=s3_endpoint, tmp_root=tmp_path)
    assert (store.bucket, store.prefix) == (bucket, prefix)


def test_from_url_refuses_other_urls(tmp_path):
    with pytest.raises(ConfigError, match="s3://bucket/prefix"):
        S3Store.from_url("s3:///prefix-without-bucket", tmp_root=tmp_path)


def test_settings_select_the_s3_store(settings, s3_endpoint, s3_bucket):
    s3_settings = settings.model_copy(update={"storage_url": f"s3://{s3_bucket}/mm",
                                              "storage_endpoint_url": s3_endpoint})
    store = open_store(s3_settings)
    assert isinstance(store, S3Store) and store.prefix == "mm"
    assert store.tmp_dir == s3_settings.resolved_data_dir / "tmp"
    artifact = store.put(b"via settings")
    assert store.open(artifact.id).read() == b"via settings"


async def test_a_worker_reads_inputs_from_s3(settings, s3_endpoint, s3_bucket, worker, tmp_path):
    from mediamill.client import AsyncClient

    s3_settings = settings.model_copy(update={"storage_url": f"s3://{s3_bucket}/mm",
                                              "storage_endpoint_url": s3_endpoint})
    source = tmp_path / "note.txt"
    source.write_text("stored in S3\n")
    async with AsyncClient(s3_settings) as client, worker(["assets"], settings=s3_settings):
        handle = await client.submit("file.inspect", {}, [source])
        result = await handle.result(timeout=60)
    assert result["size"] == 13 and result["mime"] == "text/plain" and result["preview"] == "stored in S3\n"
    assert any(key.startswith("mm/blobs/") for key in keys(open_store(s3_settings)))

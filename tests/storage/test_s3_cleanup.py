"""storage.cleanup over the S3 store: expired objects leave the bucket, fresh ones and shared blobs stay."""

from __future__ import annotations

from datetime import timedelta

from mediamill.storage import open_store
from mediamill.storage.artifact import utcnow
from mediamill.testing import call_task


def test_cleanup_deletes_expired_objects_from_the_bucket(settings, s3_endpoint, s3_bucket):
    s3_settings = settings.model_copy(update={"storage_url": f"s3://{s3_bucket}/mm",
                                              "storage_endpoint_url": s3_endpoint})
    store = open_store(s3_settings)
    past, future = utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1)
    expired = store.put(b"expired bytes", key="a", expires_at=past)
    twin = store.put(b"shared bytes", key="b", expires_at=past)
    fresh = store.put(b"shared bytes", key="c", expires_at=future)

    result, _ = call_task(s3_settings, "storage.cleanup", {"types": ["expired_artifacts"]})

    assert result["expired_artifacts"]["artifacts"] == 2
    listing = store.client.list_objects_v2(Bucket=s3_bucket)
    remaining = sorted(item["Key"] for item in listing["Contents"])
    assert remaining == [f"mm/blobs/{fresh.sha256}", f"mm/meta/{fresh.id}.json", f"mm/refs/{fresh.sha256}/{fresh.id}"]
    assert not store.exists(expired.id) and not store.exists(twin.id)
    assert store.open(fresh.id).read() == b"shared bytes"

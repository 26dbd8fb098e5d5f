"""The seeds' own producers: Node's bullmq adds each seed's documented payload, as its README writes it,
to the seed's own queue name and prefix; mediamill's workers serve it (the `seed_queues` setting)."""

from __future__ import annotations

import pytest
from seed_helpers import seed_add

# Seed 003 (tweet reel): its job manager's queue, now a BullMQ queue under Bull's default prefix.
REEL_QUEUE = {"video-generation": {"queue": "video", "task": "video.tweet_reel", "prefix": "bull"}}


@pytest.mark.slow
@pytest.mark.engine_settings(seed_queues=REEL_QUEUE)
async def test_seed_003_tweet_reel_payload_as_written(node, settings, client, worker):
    # The README's createJob fields; profilePhotoUrl is left out: this machine has no internet to fetch it.
    payload = {"tweetBody": "Your tweet content here", "profileName": "Display Name",
               "username": "username", "theme": "dark"}
    async with worker(["video"]):
        reply = await seed_add(node, settings, "video-generation", "generate", payload)
        missing = await seed_add(node, settings, "video-generation", "generate",
                                 {"profileName": "Display Name", "username": "username"})
    result = reply.get("result")
    assert result is not None, reply
    # The seed's result schema, under its own names.
    assert result["filename"].endswith(".mp4")
    assert result["downloadUrl"].startswith(settings.base_url) and "sig=" in result["downloadUrl"]
    assert result["expiresAt"].endswith("Z")
    assert result["fileSize"] > 10_000
    assert 4.5 <= result["duration"] <= 5.5
    assert result["resolution"] == "1080x1920"
    # The side effect: the file is in storage, as long as the seed's TTL.
    stored = client.artifact(result["video"]["artifact"])
    assert stored.size == result["fileSize"] and stored.mime == "video/mp4" and stored.expires_at is not None
    # Bad input names the seed's own field and fails at once.
    assert "tweetBody" in missing["failedReason"], missing


# Seed 004 (asset processing): a VariantJob on its own Bull queue name; fileKey is a storage key.
VARIANT_QUEUE = {"variant-generation": {"queue": "variants", "task": "asset.variants", "prefix": "bull",
                                        "input_field": "fileKey",
                                        "keep_fields": ["assetId", "fileType", "mimeType", "originalFilename"]}}


@pytest.mark.engine_settings(seed_queues=VARIANT_QUEUE)
async def test_seed_004_variant_job_as_written(node, settings, client, worker, tmp_path):
    from PIL import Image

    source = tmp_path / "photo.jpg"
    Image.new("RGB", (2400, 1600), (200, 120, 40)).save(source, quality=90)
    client.store.put(source, name="photo.jpg", key="assets/asset_1/photo.jpg")
    job = {"assetId": "asset_1", "fileKey": "assets/asset_1/photo.jpg", "fileType": "IMAGE",
           "mimeType": "image/jpeg", "originalFilename": "photo.jpg",
           "variants": ["THUMBNAIL", "PREVIEW", "WEB_OPTIMIZED", "MOBILE"]}
    async with worker(["variants"]):
        reply = await seed_add(node, settings, "variant-generation", "__default__", job)
        unknown = await seed_add(node, settings, "variant-generation", "__default__", {**job, "variants": ["HUGE"]})
        no_file = await seed_add(node, settings, "variant-generation", "__default__",
                                 {**job, "fileKey": "assets/missing.jpg"})
    result = reply.get("result")
    assert result is not None, reply
    sizes = {name: (v["width"], v["height"]) for name, v in result["variants"].items()}
    assert set(sizes) == {"THUMBNAIL", "PREVIEW", "WEB_OPTIMIZED", "MOBILE"}
    assert max(sizes["WEB_OPTIMIZED"]) <= 1920 and max(sizes["MOBILE"]) <= 640
    for variant in result["variants"].values():  # each variant is in storage
        assert client.store.exists(variant["artifact"]["artifact"])
    assert "HUGE" in unknown["failedReason"], unknown
    assert "fileKey" in no_file["failedReason"], no_file


THUMBNAIL_QUEUE = {"thumbnail-generation": {"queue": "thumbnails", "task": "asset.thumbnail", "prefix": "bull",
                                            "input_field": "fileKey",
                                            "keep_fields": ["assetId", "fileType", "mimeType", "originalFilename"]}}


@pytest.mark.engine_settings(seed_queues=THUMBNAIL_QUEUE)
async def test_seed_004_thumbnail_job_as_written(node, settings, client, worker, tmp_path):
    from PIL import Image

    source = tmp_path / "photo.png"
    Image.new("RGB", (900, 600), (20, 90, 160)).save(source)
    client.store.put(source, name="photo.png", key="assets/asset_2/photo.png")
    job = {"assetId": "asset_2", "fileKey": "assets/asset_2/photo.png", "fileType": "IMAGE",
           "mimeType": "image/png", "originalFilename": "photo.png"}
    async with worker(["thumbnails"]):
        reply = await seed_add(node, settings, "thumbnail-generation", "__default__", job)
    result = reply.get("result")
    assert result is not None, reply
    assert (result["width"], result["height"]) == (200, 200) and result["format"] == "jpeg"
    stored = client.artifact(result["thumbnail"]["artifact"])
    assert stored.mime == "image/jpeg" and stored.size > 0

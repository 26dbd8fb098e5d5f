"""Seed 000 (the marketing workers): the app's WorkerJobData {jobId, itemIndex, type, config, originalImage,
productInfo} added by Node's bullmq to the seed's own Bull queues, as its README writes it; mediamill's
image, text and speech workers serve them and store what they make."""

from __future__ import annotations

import pytest
from seed_helpers import seed_add

STAGE_FIELDS = ["jobId", "itemIndex", "type"]
SEED_000 = {
    "images-queue": {"queue": "images", "task": "image.enhance", "input_field": "originalImage",
                     "params_field": "config", "keep_fields": [*STAGE_FIELDS, "productInfo"]},
    "text-queue": {"queue": "text", "task": "text.copy", "params_field": "config",
                   "keep_fields": [*STAGE_FIELDS, "originalImage"]},
    "voiceover-queue": {"queue": "voiceover", "task": "speech.voiceover", "params_field": "config",
                        "keep_fields": [*STAGE_FIELDS, "originalImage", "productInfo"]},
    "captions-queue": {"queue": "captions", "task": "speech.captions", "params_field": "config",
                       "input_field": "config.audio", "keep_fields": [*STAGE_FIELDS, "originalImage", "productInfo"]},
    "video-queue": {"queue": "video", "task": "video.promo", "params_field": "config",
                    "input_field": ["config.images", "config.audio", "config.captions"],
                    "keep_fields": [*STAGE_FIELDS, "originalImage", "productInfo"]},
}
PRODUCT = {"name": "Trail Mug", "description": "A double-walled steel mug that keeps coffee hot for six hours.",
           "features": ["leak-proof lid", "fits car cup holders"], "price": 24.99}


@pytest.fixture
def product_photo(client, tmp_path) -> str:
    """The key of a product photo in storage, as the app's job.originalImage names it."""
    from PIL import Image, ImageDraw

    path = tmp_path / "mug.jpg"
    image = Image.new("RGB", (900, 900), (236, 236, 232))
    ImageDraw.Draw(image).ellipse((250, 200, 650, 700), fill=(40, 90, 150))
    image.save(path, quality=90)
    client.store.put(path, name="mug.jpg", key="uploads/job_1/mug.jpg")
    return "uploads/job_1/mug.jpg"


@pytest.mark.engine_settings(seed_queues=SEED_000)
async def test_seed_000_images_queue_payload_as_written(node, settings, client, worker, product_photo):
    # The README's queueManager.addJob('images-queue', {...}) payload.
    job = {"jobId": "6650f1c2a1b2c3d4e5f60718", "itemIndex": 0, "type": "enhanced-images", "config": {"count": 3},
           "originalImage": product_photo, "productInfo": PRODUCT}
    async with worker(["images"]):
        reply = await seed_add(node, settings, "images-queue", "__default__", job)
        no_image = await seed_add(node, settings, "images-queue", "__default__",
                                  {k: v for k, v in job.items() if k != "originalImage"})
        gone = await seed_add(node, settings, "images-queue", "__default__",
                              {**job, "originalImage": "uploads/job_1/gone.jpg"})
        too_many = await seed_add(node, settings, "images-queue", "__default__", {**job, "config": {"count": 40}})
    result = reply.get("result")
    assert result is not None, reply
    assert len(result["versions"]) == 3
    for version in result["versions"]:  # each enhanced image is in storage
        stored = client.artifact(version["artifact"]["artifact"])
        assert stored.mime == "image/jpeg" and stored.size > 1000
    assert "originalImage" in no_image["failedReason"], no_image
    assert "originalImage" in gone["failedReason"] and "gone.jpg" in gone["failedReason"], gone
    assert "count" in too_many["failedReason"], too_many


@pytest.mark.engine_settings(seed_queues=SEED_000)
async def test_seed_000_text_queue_payload_as_written(node, settings, client, worker, product_photo):
    job = {"jobId": "6650f1c2a1b2c3d4e5f60718", "itemIndex": 1, "type": "viral-text",
           "config": {"platforms": ["instagram", "tiktok"]}, "originalImage": product_photo, "productInfo": PRODUCT}
    async with worker(["text"]):
        reply = await seed_add(node, settings, "text-queue", "__default__", job)
        no_product = await seed_add(node, settings, "text-queue", "__default__",
                                    {k: v for k, v in job.items() if k != "productInfo"})
    result = reply.get("result")
    assert result is not None, reply
    assert set(result["platforms"]) == {"instagram", "tiktok"}
    assert "Trail Mug" in result["headline"] or "Trail Mug" in result["script"]
    assert client.artifact(result["copy_file"]["artifact"]).mime == "application/json"
    assert "productInfo" in no_product["failedReason"], no_product


@pytest.mark.slow
@pytest.mark.engine_settings(seed_queues=SEED_000)
async def test_seed_000_voiceover_captions_and_video_queue_payloads(node, settings, client, worker, product_photo):
    script = "Meet the Trail Mug. It keeps your coffee hot for six hours."
    stage = {"jobId": "6650f1c2a1b2c3d4e5f60718", "itemIndex": 2, "originalImage": product_photo,
             "productInfo": PRODUCT}
    async with worker(["voiceover", "captions", "video"]):
        spoken = await seed_add(node, settings, "voiceover-queue", "__default__",
                                {**stage, "type": "voice-over", "config": {"text": script, "format": "mp3"}})
        voice = spoken.get("result")
        assert voice is not None, spoken
        captioned = await seed_add(node, settings, "captions-queue", "__default__",
                                   {**stage, "type": "captions",
                                    "config": {"audio": voice["audio"]["artifact"], "script": script}})
        no_audio = await seed_add(node, settings, "captions-queue", "__default__",
                                  {**stage, "type": "captions", "config": {"script": script}})
        assert captioned.get("result") is not None, captioned
        video = await seed_add(node, settings, "video-queue", "__default__", {**stage, "type": "complete-video", "config": {
            "images": [product_photo], "audio": voice["audio"]["artifact"],
            "captions": captioned["result"]["words"]["artifact"], "headline": "Meet the Trail Mug",
            "copy": "Hot coffee for six hours.", "cta": "Shop now"}})
    assert client.artifact(voice["audio"]["artifact"]).mime == "audio/mpeg" and voice["duration_s"] > 2
    captions = captioned.get("result")
    assert captions is not None, captioned
    with client.store.open(captions["srt"]["artifact"]) as handle:
        assert "Trail Mug" in handle.read().decode()  # the script's words, timed to the audio
    assert "config.audio" in no_audio["failedReason"], no_audio
    promo = video.get("result")
    assert promo is not None, video
    stored = client.artifact(promo["video"]["artifact"])
    assert stored.mime == "video/mp4" and stored.size > 10_000
    assert 15 <= promo["duration"] <= 30

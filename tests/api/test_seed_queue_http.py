"""A seed's job data over HTTP (POST /v1/seed-queues/{queue}/jobs): the same translation as a raw BullMQ job
on the seed's queue, so seed 004's AssetProcessingJob is accepted as written, fileKey and app ids included."""

from __future__ import annotations

import asyncio

import pytest
from PIL import Image

from mediamill.settings import SeedQueue

SEED_004 = {"asset-processing": {"queue": "assets", "task": "asset.inspect", "input_field": "fileKey",
                                 "keep_fields": ["assetId", "fileType", "mimeType", "originalFilename"]},
            "video-generation": {"queue": "video", "tasks": {"generate": "video.compose"}}}


@pytest.fixture
def seed_settings(api_settings):
    return api_settings.model_copy(update={"seed_queues": {name: SeedQueue(**seed) for name, seed in SEED_004.items()}})


async def test_asset_processing_job_as_written_over_http(make_api, seed_settings, worker, tmp_path):
    source = tmp_path / "logo.png"
    Image.new("RGBA", (640, 480), (10, 200, 90, 128)).save(source)
    job = {"assetId": "asset_3", "fileKey": "assets/asset_3/logo.png", "fileType": "IMAGE",
           "mimeType": "image/png", "originalFilename": "logo.png"}
    async with make_api(seed_settings) as http:
        http.app.state.services.store.put(source, name="logo.png", key=job["fileKey"])
        answer = await http.post("/v1/seed-queues/asset-processing/jobs", json={"data": job})
        assert answer.status_code == 202, answer.text
        assert answer.json()["status"] == "queued" and answer.json()["jobId"] == answer.json()["id"]
        async with worker(["assets"], settings=seed_settings):
            view = await _finished(http, answer.json()["id"])
        assert view["status"] == "completed", view
        assert (view["result"]["width"], view["result"]["height"]) == (640, 480)
        assert view["result"]["file_type"] == "IMAGE"

        gone = await http.post("/v1/seed-queues/asset-processing/jobs",
                               json={"data": {**job, "fileKey": "assets/asset_3/gone.png"}})
        assert gone.status_code == 422 and gone.json()["field"] == "fileKey" and "gone.png" in gone.json()["message"]
        missing = await http.post("/v1/seed-queues/asset-processing/jobs",
                                  json={"data": {k: v for k, v in job.items() if k != "fileKey"}})
        assert missing.status_code == 422 and missing.json()["field"] == "fileKey"
        unknown_name = await http.post("/v1/seed-queues/video-generation/jobs", json={"name": "render", "data": {}})
        assert unknown_name.status_code == 422 and "generate" in unknown_name.json()["message"]
        no_queue = await http.post("/v1/seed-queues/images-queue/jobs", json={"data": {}})
        assert no_queue.status_code == 404 and "asset-processing" in no_queue.json()["message"]


async def _finished(http, job_id: str) -> dict:
    for _ in range(600):
        view = (await http.get(f"/v1/jobs/{job_id}")).json()
        if view["status"] in ("completed", "failed", "cancelled"):
            return view
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {view}")

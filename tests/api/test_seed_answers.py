"""What seed apps send and expect over HTTP: the `{jobId, status: 'queued'}` answer, storage keys as inputs."""

import asyncio


async def test_submission_answers_job_id_and_queued(api):
    answer = await api.post("/v1/jobs", json={"task": "analytics.track", "params": {"type": "ACTIVITY"}})
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["jobId"] == body["id"] and body["status"] == "queued"


async def test_a_seed_storage_key_is_an_input_over_http(api, client, worker, tmp_path):
    # Seed 004's fileKey names a file by its storage key; over HTTP it is an input {"key": ...}.
    from PIL import Image

    source = tmp_path / "photo.png"
    Image.new("RGB", (900, 600), (20, 90, 160)).save(source)
    client.store.put(source, name="photo.png", key="assets/asset_2/photo.png")
    async with worker(["thumbnails"]):
        answer = await api.post("/v1/jobs", json={"task": "asset.thumbnail",
                                                  "inputs": [{"key": "assets/asset_2/photo.png"}]})
        assert answer.status_code == 202, answer.text
        for _ in range(1200):
            job = (await api.get(f"/v1/jobs/{answer.json()['jobId']}")).json()
            if job["status"] in ("completed", "failed"):
                break
            await asyncio.sleep(0.1)
    assert job["status"] == "completed", job
    assert (job["result"]["width"], job["result"]["height"]) == (200, 200)
    missing = await api.post("/v1/jobs", json={"task": "asset.thumbnail", "inputs": [{"key": "assets/gone.png"}]})
    assert missing.status_code == 422 and missing.json()["field"] == "inputs", missing.json()
    assert "assets/gone.png" in missing.json()["message"], missing.json()

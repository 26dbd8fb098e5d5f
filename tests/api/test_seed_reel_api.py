"""Seed 003's own HTTP API: its app's POST /api/generate and GET /api/jobs/:jobId, unchanged, on mediamill."""

import asyncio

import pytest


@pytest.mark.slow
async def test_generate_and_poll_as_the_reel_seed_app_does(api, worker):
    # The README's Express handler sends these five fields; profilePhotoUrl is null (no internet here).
    body = {"tweetBody": "Your tweet content here", "profilePhotoUrl": None, "profileName": "Display Name",
            "username": "username", "theme": "dark"}
    async with worker(["video"]):
        answer = await api.post("/api/generate", json=body)
        assert answer.status_code == 200, answer.text
        job_id = answer.json()["jobId"]
        seen = []
        for _ in range(3000):
            job = (await api.get(f"/api/jobs/{job_id}")).json()
            seen.append((job["status"], job["currentStep"]))
            if job["status"] in ("completed", "failed"):
                break
            await asyncio.sleep(0.1)
    assert job["status"] == "completed", job
    assert job["progress"] == 100 and job["currentStep"] == "completed"
    assert {status for status, _ in seen} <= {"pending", "processing", "completed"}
    assert {step for status, step in seen if status == "processing"} <= {
        "generating_screenshot", "composing_video", "saving_file"}
    result = job["result"]
    assert result["filename"].endswith(".mp4") and result["resolution"] == "1080x1920"
    assert result["fileSize"] > 10_000 and 4.5 <= result["duration"] <= 5.5 and result["expiresAt"]
    video = await api.get(result["downloadUrl"])
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"


async def test_bad_generate_bodies_and_unknown_jobs(api):
    missing = await api.post("/api/generate", json={"profileName": "Display Name", "username": "username"})
    assert missing.status_code == 422 and "tweetBody" in missing.json()["message"], missing.json()
    theme = await api.post("/api/generate", json={"tweetBody": "hi", "profileName": "A", "username": "a",
                                                  "theme": "sepia"})
    assert theme.status_code == 422 and "theme" in theme.json()["message"], theme.json()
    not_json = await api.post("/api/generate", content=b"tweetBody=hi", headers={"content-type": "text/plain"})
    assert not_json.status_code == 415
    unknown = await api.get("/api/jobs/job_doesnotexist")
    assert unknown.status_code == 404 and unknown.json() == {"error": "Job not found"}

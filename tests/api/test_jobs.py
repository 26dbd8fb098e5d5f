"""POST/GET/DELETE /v1/jobs and retry, against a real worker on the embedded Redis."""

from __future__ import annotations

import asyncio

import pytest

from mediamill.db import open_database
from mediamill.db.repositories import jobs as job_records
from mediamill.db.testing import on_each_database

# These tests run on SQLite and, where it is reachable (CI), on PostgreSQL.
settings = pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.external)],
                          name="settings")(on_each_database)


async def wait_for_status(api, job_id: str, wanted: set[str], timeout: float = 30) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        body = (await api.get(f"/v1/jobs/{job_id}")).json()
        if body.get("status") in wanted:
            return body
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.05)


async def test_submit_json_then_read_the_result_with_download_links(api, worker, settings):
    upload = await api.post("/v1/artifacts", content=b"hello world\n", params={"name": "hello.txt"},
                            headers={"Content-Type": "application/octet-stream"})
    assert upload.status_code == 201, upload.text
    artifact = upload.json()
    assert artifact["mime"] == "text/plain" and artifact["size"] == 12 and artifact["name"] == "hello.txt"

    response = await api.post("/v1/jobs", json={"task": "file.inspect", "inputs": [{"artifact": artifact["id"]}]})
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "queued" and accepted["id"].startswith("job_")
    assert accepted["links"]["self"].endswith(f"/v1/jobs/{accepted['id']}")
    assert response.headers["location"] == accepted["links"]["self"]

    async with worker(["assets"]):
        body = await wait_for_status(api, accepted["id"], {"completed", "failed"})
    assert body["status"] == "completed", body
    assert body["result"]["sha256"] == artifact["sha256"] and body["progress"] == 100
    assert body["inputs"] == [{"artifact": artifact["id"]}]
    # The record was written at submit (queued) and completed by the worker's records middleware.
    database = open_database(settings)
    assert database.dialect == ("postgresql" if settings.database_url else "sqlite")
    with database.session() as session:
        record = job_records.get(session, accepted["id"])
        assert record.state == "completed" and record.attempts == 1 and record.finished_at is not None


async def test_multipart_submit_uploads_files_as_inputs(api, worker):
    files = {"file": ("notes.txt", b"some notes\n", "text/plain")}
    response = await api.post("/v1/jobs", data={"task": "file.inspect", "params": '{"text_preview_chars": 4}'},
                              files=files)
    assert response.status_code == 202, response.text
    async with worker(["assets"]):
        body = await wait_for_status(api, response.json()["id"], {"completed", "failed"})
    assert body["result"]["preview"] == "some" and body["result"]["name"] == "notes.txt"


async def test_multipart_submit_with_the_whole_job_as_json(api):
    files = {"upload": ("a.bin", b"\x00\x01\x02", "application/octet-stream")}
    response = await api.post("/v1/jobs", data={"job": '{"task": "file.inspect", "params": {}}'}, files=files)
    assert response.status_code == 202, response.text


async def test_status_falls_back_to_the_record_after_bullmq_forgot_the_job(api, worker, settings):
    response = await api.post("/v1/jobs", data={"task": "file.inspect"}, files={"f": ("x.txt", b"x", "text/plain")})
    job_id = response.json()["id"]
    async with worker(["assets"]):
        await wait_for_status(api, job_id, {"completed"})
    # Given BullMQ's retention removed the job...
    services = api.app.state.services
    job, _ = await services.broker.get_job(job_id)
    await job.remove()
    await asyncio.sleep(0.4)  # the records writer flushes every 150 ms
    # ...the record still answers, with the result and its download links.
    body = (await api.get(f"/v1/jobs/{job_id}")).json()
    assert body["status"] == "completed" and body["result"]["mime"] == "text/plain"


async def test_cancel_a_queued_job_then_retry_it(api, worker):
    response = await api.post("/v1/jobs", data={"task": "file.inspect"}, files={"f": ("x.txt", b"x", "text/plain")})
    job_id = response.json()["id"]
    cancelled = await api.delete(f"/v1/jobs/{job_id}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await api.delete(f"/v1/jobs/{job_id}")
    assert again.status_code == 409 and "nothing to cancel" in again.json()["message"]
    async with worker(["assets"]):
        # The worker takes the job, sees the cancel mark and fails it without running it.
        for _ in range(600):
            body = (await api.get(f"/v1/jobs/{job_id}")).json()
            if body["error"]:
                break
            await asyncio.sleep(0.05)
        assert body["error"], body
        assert body["status"] == "cancelled" and body["error"]["type"] == "Cancelled", body
        retried = await api.post(f"/v1/jobs/{job_id}/retry")
        assert retried.status_code == 200, retried.text
        body = await wait_for_status(api, job_id, {"completed"})
    assert body["result"]["size"] == 1


async def test_retry_of_a_job_that_did_not_fail_is_a_conflict(api):
    response = await api.post("/v1/jobs", data={"task": "file.inspect"}, files={"f": ("x.txt", b"x", "text/plain")})
    retried = await api.post(f"/v1/jobs/{response.json()['id']}/retry")
    assert retried.status_code == 409 and "only failed jobs" in retried.json()["message"]


async def test_list_jobs_from_the_records(api):
    for _ in range(3):
        await api.post("/v1/jobs", data={"task": "file.inspect"}, files={"f": ("x.txt", b"x", "text/plain")})
    for _ in range(100):  # submissions are recorded in batches, within ~150 ms
        body = (await api.get("/v1/jobs", params={"limit": 2})).json()
        if body["count"] == 2:
            break
        await asyncio.sleep(0.05)
    assert body["count"] == 2 and all(job["status"] == "queued" for job in body["data"])

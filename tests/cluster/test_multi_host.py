"""mediamill on four hosts (network namespaces): nothing may assume a shared disk, socket or SQLite file.

infra runs Redis 7, PostgreSQL and an S3 server; api runs `mediamill api`; worker-1 and worker-2 run
`mediamill worker`, each on its own data dir. The test talks to the API from outside, as a client:
it runs asset-ingest and promo-video and downloads their outputs through signed links (redirected
to presigned S3 URLs). Then it cuts
worker-1's cable while it runs a job: worker-2 must take the job over, nothing may be lost, and
when the cable is back worker-1 must not record a second result.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path

import httpx
import pytest
from cluster_hosts import Network, root_only_reason
from cluster_infra import API_PORT, Processes, mediamill_env, missing_reason, start_infra, wait_port
from PIL import Image
from sqlalchemy import create_engine, text

from mediamill.services.keys import create_key
from mediamill.settings import Settings

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bool(root_only_reason() or missing_reason()),
                                 reason=root_only_reason() or missing_reason() or "")]

WORKER_QUEUES = "assets,thumbnails,variants,images,text,voiceover,captions,video,cleanup,clustertest"
SLOW_JOBS, SLOW_S = 3, 8.0
FINAL = ("completed", "failed", "cancelled")


def photo() -> bytes:
    image = Image.new("RGB", (640, 480), (240, 240, 236))
    for x in range(200, 440):  # a product-like object in the middle
        for y in range(120, 360):
            image.putpixel((x, y), (200, 60 + (x - 200) // 3, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def wait_for(what: str, check, timeout: float, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(every)


def wait_log(log: Path, needle: str, timeout: float) -> None:
    wait_for(f"{needle!r} in {log.name}", lambda: needle in log.read_text(errors="replace"), timeout)


def test_four_hosts_pipelines_signed_downloads_and_a_cut_cable(tmp_path):
    figures: dict[str, float | int | str] = {}
    began = time.monotonic()
    with Network(["infra", "api", "worker-1", "worker-2"]) as net, \
            contextlib.closing(Processes(tmp_path)) as procs:
        infra, api_host = net.hosts["infra"], net.hosts["api"]
        shared = start_infra(infra, procs)
        figures["infra_up_s"] = round(time.monotonic() - began, 1)
        # An operator makes the API key (from outside, on the shared database).
        outside = Settings(data_dir=tmp_path / "outside", database_url=shared["MEDIAMILL_DATABASE_URL"])
        _, token = create_key(outside, "cluster-test", ["submit", "read"])

        api_url = f"http://{api_host.address}:{API_PORT}"
        api, api_log = procs.start(api_host, "api", [
            *_mediamill(), "api", "--host", api_host.address, "--port", str(API_PORT)],
            mediamill_env(shared, tmp_path / "api-data", MEDIAMILL_PUBLIC_URL=api_url))
        workers = {}
        for name in ("worker-1", "worker-2"):
            workers[name] = procs.start(net.hosts[name], name, [*_mediamill(), "worker", "--queues", WORKER_QUEUES],
                                        mediamill_env(shared, tmp_path / f"{name}-data", MM_CLUSTER_HOST=name))
        wait_port(api_host.address, API_PORT, "api", api, api_log, timeout=120)
        for _proc, log in workers.values():
            wait_log(log, "worker started", 120)
        figures["cluster_up_s"] = round(time.monotonic() - began, 1)

        try:
            with httpx.Client(base_url=api_url, headers={"authorization": f"Bearer {token}"}, timeout=60) as client:
                client.s3_url = shared["MEDIAMILL_STORAGE_ENDPOINT_URL"]
                assert client.get("/readyz").status_code == 200
                _pipelines(client, figures)
                _cut_cable(client, net.hosts["worker-1"], workers, shared, figures)
        finally:
            figures["total_s"] = round(time.monotonic() - began, 1)
            print("cluster: " + json.dumps(figures), flush=True)


def _mediamill() -> list[str]:
    import sys

    return [sys.executable, "-m", "mediamill"]


def _wait_run(client: httpx.Client, run_id: str, timeout: float) -> dict:
    def done():
        view = client.get(f"/v1/runs/{run_id}").json()
        return view if view["state"] in FINAL else None

    return wait_for(f"run {run_id}", done, timeout, every=1.0)


def _download(client: httpx.Client, ref: dict) -> bytes:
    # The link is signed and stands on its own: no API key goes with it. The API answers with a
    # presigned URL on the S3 host, which serves the bytes (they never pass through the API host).
    redirect = httpx.get(ref["url"], timeout=60)
    assert redirect.status_code == 302, redirect.text
    assert redirect.headers["location"].startswith(client.s3_url)
    answer = httpx.get(redirect.headers["location"], timeout=60)
    assert answer.status_code == 200, answer.text
    assert len(answer.content) == ref["size"]
    return answer.content


def _pipelines(client: httpx.Client, figures: dict) -> None:
    started = time.monotonic()
    ingest = client.post("/v1/pipelines/asset-ingest/runs", files={"file": ("photo.jpg", photo())},
                         data={"params": json.dumps({"siblings": []})})
    assert ingest.status_code == 202, ingest.text
    promo = client.post("/v1/pipelines/promo-video/runs", files={"photo": ("product.jpg", photo())},
                        data={"params": json.dumps({"product": {"name": "Trail Mug", "features": ["keeps coffee hot"]},
                                                    "count": 1, "brand": "Northwind"})})
    assert promo.status_code == 202, promo.text
    ingest_view = _wait_run(client, ingest.json()["id"], 180)
    assert ingest_view["state"] == "completed", ingest_view
    figures["asset_ingest_s"] = round(time.monotonic() - started, 1)
    thumb = ingest_view["outputs"]["thumbnail"]["thumbnail"]
    assert Image.open(io.BytesIO(_download(client, thumb))).size == (200, 200)
    promo_view = _wait_run(client, promo.json()["id"], 300)
    assert promo_view["state"] == "completed", promo_view
    figures["promo_video_s"] = round(time.monotonic() - started, 1)
    video = _download(client, promo_view["outputs"]["video"]["video"])
    assert video[4:8] == b"ftyp"
    figures["promo_video_bytes"] = len(video)


def _cut_cable(client: httpx.Client, victim, workers: dict, shared: dict, figures: dict) -> None:
    ids = []
    for _ in range(SLOW_JOBS):
        answer = client.post("/v1/jobs", json={"task": "clustertest.slow", "params": {"seconds": SLOW_S}})
        assert answer.status_code in (200, 201, 202), answer.text
        ids.append(answer.json()["id"])

    def running_on() -> dict[str, str] | None:
        hosts = {}
        for job_id in ids:
            view = client.get(f"/v1/jobs/{job_id}").json()
            if view["status"] == "active" and (view.get("step") or "").startswith("on "):
                hosts[view["step"][3:]] = job_id
        return hosts if len(hosts) == 2 else None

    on = wait_for("a slow job active on each worker host", running_on, 90, every=0.2)
    cut_job = on[victim.name]
    victim.cut()
    cut_at = time.monotonic()
    try:
        def all_final() -> list[dict] | None:
            views = [client.get(f"/v1/jobs/{job_id}").json() for job_id in ids]
            return views if all(v["status"] in FINAL for v in views) else None

        views = wait_for("every slow job to finish without worker-1", all_final, 120)
        figures["recovered_after_cut_s"] = round(time.monotonic() - cut_at, 1)
        assert [v["status"] for v in views] == ["completed"] * SLOW_JOBS, views
        by_id = {v["id"]: v for v in views}
        assert by_id[cut_job]["result"]["host"] == "worker-2"
    finally:
        victim.restore()
    restored_at = time.monotonic()
    # worker-1 finishes its stale attempt once its packets flow again; wait until it has tried to hand it in.
    victim_log = workers[victim.name][1]
    wait_for("worker-1 to end its cut-off attempt", lambda: _attempt_ended(victim_log, cut_job), 150, every=1.0)
    figures["cut_off_attempt_ended_after_restore_s"] = round(time.monotonic() - restored_at, 1)
    time.sleep(3)  # the records writer batches: let a late write land if one is coming

    view = client.get(f"/v1/jobs/{cut_job}").json()
    assert view["status"] == "completed" and view["result"]["host"] == "worker-2", view
    # The cut-off attempt stored its file under an id of its own claim, so even an upload that was
    # in flight during the cut and completed after it cannot replace worker-2's file; the fence
    # then deleted it. (Before attempt-unique ids it overwrote worker-2's file in 2 of 7 runs.)
    content = _download(client, view["result"]["file"])
    figures["stale_attempt_overwrote_file"] = content != b"made by worker-2\n"
    assert content == b"made by worker-2\n"
    stored = _stored_for_job(shared, cut_job)
    figures["files_stored_for_the_cut_job"] = len(stored)
    assert [a["id"] for a in stored] == [view["result"]["file"]["artifact"]], stored
    figures["cut_off_attempt_fenced"] = _attempt_end_line(victim_log, cut_job)
    engine = create_engine(shared["MEDIAMILL_DATABASE_URL"])
    try:
        with engine.connect() as db:
            row = db.execute(text("SELECT state, result FROM jobs WHERE id = :id"), {"id": cut_job}).one()
            artifacts = db.execute(text("SELECT count(*) FROM artifacts WHERE job = :id"), {"id": cut_job}).scalar()
            recorded = db.execute(text("SELECT count(*) FROM jobs WHERE id = ANY(:ids) AND state = 'completed'"),
                                  {"ids": ids}).scalar()
    finally:
        engine.dispose()
    result = row.result if isinstance(row.result, dict) else json.loads(row.result)
    assert row.state == "completed" and result["host"] == "worker-2", row
    assert artifacts == 1
    assert recorded == SLOW_JOBS
    figures["slow_jobs"], figures["lost"] = SLOW_JOBS, SLOW_JOBS - recorded


def _stored_for_job(shared: dict, job_id: str) -> list[dict]:
    """The artifact records in the S3 bucket made by that job (read from outside, as an operator)."""
    import boto3
    from cluster_infra import AWS_ENV

    bucket, _, prefix = shared["MEDIAMILL_STORAGE_URL"].removeprefix("s3://").partition("/")
    s3 = boto3.client("s3", endpoint_url=shared["MEDIAMILL_STORAGE_ENDPOINT_URL"], region_name="us-east-1",
                      aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"])
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/meta/"):
        for item in page.get("Contents", []):
            record = json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            if record.get("job") == job_id:
                found.append(record)
    return found


def _attempt_end_line(log: Path, job_id: str) -> str:
    """How worker-1's log says its cut-off attempt ended: fenced after storing its file (deleted then),
    fenced after an error (its upload failed in the cut, say), or otherwise."""
    lines = [line for line in log.read_text(errors="replace").splitlines() if job_id in line]
    fenced = next((line for line in lines if "job lock lost" in line), None)
    if fenced is None:
        return next((line[:160] for line in lines if "job started" not in line), "")
    if any("result was not recorded deleted" in line for line in lines):
        return "job lock lost, its file deleted"
    with contextlib.suppress(ValueError):
        if json.loads(fenced).get("error"):
            return "job lock lost after an error: " + str(json.loads(fenced)["error"])[:100]
    return "job lock lost"


def _attempt_ended(log: Path, job_id: str) -> bool:
    for line in log.read_text(errors="replace").splitlines():
        if job_id in line and "job started" not in line:
            return True
    return False

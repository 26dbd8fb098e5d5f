"""/v1/pipelines and /v1/runs over HTTP: catalog, register, start with an upload, watch, cancel, rerun."""

import asyncio
import io
import json

from PIL import Image


def jpeg(width: int = 640, height: int = 480) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (180, 90, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


async def wait_run(api, run_id: str, timeout: float = 120.0) -> dict:
    for _ in range(int(timeout / 0.1)):
        view = (await api.get(f"/v1/runs/{run_id}")).json()
        if view["state"] in ("completed", "failed", "cancelled"):
            return view
        await asyncio.sleep(0.1)
    raise TimeoutError(view)


async def test_catalog_lists_shipped_pipelines_with_schemas(api):
    listing = (await api.get("/v1/pipelines")).json()
    names = {p["name"]: p for p in listing}
    assert {"asset-ingest", "promo-video", "tweet-reel", "voice-over"} <= set(names)
    assert names["asset-ingest"]["inputs"]["file"]["kind"] == "file"
    assert names["promo-video"]["params"]["required"] == ["product"]
    assert (await api.get("/v1/pipelines/nope")).status_code == 404


async def test_run_asset_ingest_from_an_upload(api, worker):
    async with worker(["assets", "thumbnails", "variants"]):
        answer = await api.post("/v1/pipelines/asset-ingest/runs", files={"file": ("photo.jpg", jpeg())},
                                data={"params": json.dumps({"siblings": []})})
        assert answer.status_code == 202, answer.text
        run_id = answer.json()["id"]
        assert answer.headers["location"] == f"/v1/runs/{run_id}"
        view = await wait_run(api, run_id)
    assert view["state"] == "completed", view["error"]
    thumb = view["outputs"]["thumbnail"]["thumbnail"]
    assert thumb["mime"] == "image/jpeg" and thumb["url"].startswith("http")
    download = await api.get(thumb["url"])
    assert download.status_code == 200
    assert Image.open(io.BytesIO(download.content)).size == (200, 200)  # cropped by attention
    assert [s["state"] for s in view["steps"]] == ["completed"] * 3
    runs = (await api.get("/v1/runs")).json()
    assert runs["data"][0]["id"] == run_id


async def test_bad_run_requests_name_the_problem(api):
    missing = await api.post("/v1/pipelines/asset-ingest/runs", json={"inputs": {}, "params": {}})
    assert missing.status_code == 422 and "inputs.file: required" in missing.json()["message"]
    bad_param = await api.post("/v1/pipelines/asset-ingest/runs",
                               json={"inputs": {"file": "art_000000000000000000000000"}, "params": {}})
    assert bad_param.status_code in (404, 422)
    wrong_type = await api.post("/v1/pipelines/asset-ingest/runs", content=b"x", headers={"content-type": "text/csv"})
    assert wrong_type.status_code == 415
    assert (await api.post("/v1/pipelines/nope/runs", json={})).status_code == 404
    assert (await api.get("/v1/runs/run_nope")).status_code == 404


async def test_register_a_pipeline_then_run_and_cancel_and_rerun(api, worker):
    spec = "name: inspect-twice\ninputs:\n  f: {kind: file}\nsteps:\n  a: {task: file.inspect, use: [inputs.f]}\n" \
           "  b: {task: file.inspect, use: [inputs.f], after: [a]}\noutputs:\n  mime: ${steps.b.result.mime}\n"
    created = await api.post("/v1/pipelines", content=spec, headers={"content-type": "application/yaml"})
    assert created.status_code == 201, created.text
    bad = await api.post("/v1/pipelines", json={"name": "x", "steps": {"a": {"task": "no.such"}}})
    assert bad.status_code == 422 and "unknown task" in bad.json()["message"]
    upload = (await api.post("/v1/artifacts", files={"file": ("a.txt", b"hello")})).json()
    # Given no worker serves the queue yet, the run waits; cancelling it stops everything.
    started = await api.post("/v1/pipelines/inspect-twice/runs", json={"inputs": {"f": upload["id"]}})
    run_id = started.json()["id"]
    cancelled = (await api.post(f"/v1/runs/{run_id}/cancel")).json()
    assert cancelled["state"] == "cancelled"
    assert (await api.post(f"/v1/runs/{run_id}/cancel")).status_code == 409
    # Rerun restarts it; with a worker it completes.
    async with worker(["assets"]):
        rerun = await api.post(f"/v1/runs/{run_id}/rerun")
        assert rerun.status_code == 200 and rerun.json()["state"] == "running"
        async with api.stream("GET", f"/v1/runs/{run_id}/events") as stream:
            events = [line async for line in stream.aiter_lines() if line.startswith("event:")]
    assert events[-1] == "event: completed"
    view = (await api.get(f"/v1/runs/{run_id}")).json()
    assert view["outputs"] == {"mime": "text/plain"}

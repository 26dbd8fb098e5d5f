"""The offline AI image tasks (image.cutout, image.upscale, image.generate, image.thumbnail_art) run
to completion from the HTTP API and from the CLI on a real worker; each also runs in a catalogue
pipeline (product-cutout, upscaled-image, content-pack: tested beside each task)."""

from __future__ import annotations

import asyncio
import json

import pytest
from test_one_way_in import cli, http_api

from mediamill.examples import example_path

JOBS = {
    "image.cutout": ({"outputs": ["cutout", "mask"]}, True),
    "image.upscale": ({"format": "png"}, True),
    "image.generate": ({"prompt": "The everyday mug. Glazed by hand", "preset": "social-post"}, False),
    "image.thumbnail_art": ({"prompt": "Best mug of 2026?", "style": "dark"}, False),
}


async def wait_for(api, job_id: str) -> dict:
    deadline = asyncio.get_running_loop().time() + 240
    while True:
        body = (await api.get(f"/v1/jobs/{job_id}")).json()
        if body.get("status") in {"completed", "failed"}:
            return body
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.2)


def files_in(result: dict) -> list[dict]:
    """Every artifact reference in a result, however nested."""
    if isinstance(result, dict):
        found = [result] if "artifact" in result and isinstance(result["artifact"], str) else []
        return found + [ref for value in result.values() for ref in files_in(value)]
    if isinstance(result, list):
        return [ref for value in result for ref in files_in(value)]
    return []


@pytest.mark.slow
async def test_each_ai_image_task_completes_from_http_and_the_cli(settings, client, worker, tmp_path):
    photo = (await client.upload(example_path("product").read_bytes(), "product.jpg")).id
    async with worker(["images", "media"]), http_api(settings) as api:
        for task, (params, needs_photo) in JOBS.items():
            inputs = [{"artifact": photo}] if needs_photo else []
            response = await api.post("/v1/jobs", json={"task": task, "params": params, "inputs": inputs})
            assert response.status_code == 202, response.text
            body = await wait_for(api, response.json()["id"])
            assert body["status"] == "completed", (task, body)
            assert files_in(body["result"]), (task, body["result"])

            out = tmp_path / task
            args = ["submit", task, "--params", json.dumps(params), "--wait", "--json", "--out", str(out)]
            done = await asyncio.to_thread(cli, settings, *args, *(["--input", photo] if needs_photo else []))
            assert done.returncode == 0, (task, done.stderr)
            written = [path for path in out.iterdir() if path.stat().st_size > 0]
            assert written and all(path.suffix in (".png", ".webp", ".jpg") for path in written), (task, written)
    await client.close()

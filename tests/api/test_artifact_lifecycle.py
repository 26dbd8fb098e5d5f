"""Each upload is its own artifact (shared blob, own identity); DELETE takes what was derived from it too."""

from __future__ import annotations

import asyncio
import io

from PIL import Image

from mediamill.db import open_database
from mediamill.db.repositories import artifacts as records
from mediamill.storage import open_store


def png_bytes(size=(640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "PNG")
    return buffer.getvalue()


async def upload(api, data: bytes, name: str, **params) -> dict:
    response = await api.post("/v1/artifacts", content=data, params={"name": name, **params},
                              headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 201, response.text
    return response.json()


async def download(api, artifact: dict):
    url = artifact["download"]["url"].removeprefix("http://127.0.0.1:8000")
    return await api.get(url)


async def test_the_same_bytes_uploaded_twice_are_two_artifacts_sharing_one_blob(api, settings):
    first = await upload(api, b"identical bytes\n", "first.txt")
    second = await upload(api, b"identical bytes\n", "second.txt", expires_in_hours=2)

    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]
    again_first = (await api.get(f"/v1/artifacts/{first['id']}")).json()
    assert again_first["name"] == "first.txt" and again_first["expires_at"] is None  # not renamed by the second
    assert second["name"] == "second.txt" and second["expires_at"] is not None
    with open_database(settings).session() as session:
        assert records.get(session, first["id"]).name == "first.txt"
        assert records.get(session, second["id"]).name == "second.txt"

    deleted = await api.delete(f"/v1/artifacts/{first['id']}")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["deleted"] == [first["id"]] and deleted.json()["bytes"] == 16
    assert (await api.get(f"/v1/artifacts/{first['id']}")).status_code == 404
    # The blob is still claimed by the second upload: it downloads whole.
    response = await download(api, (await api.get(f"/v1/artifacts/{second['id']}")).json())
    assert response.status_code == 200 and response.content == b"identical bytes\n"
    assert open_store(settings).blob_path(second["sha256"]).exists()


async def wait_for(api, job_id: str) -> dict:
    deadline = asyncio.get_running_loop().time() + 240
    while True:
        body = (await api.get(f"/v1/jobs/{job_id}")).json()
        if body.get("status") in {"completed", "failed"}:
            assert body["status"] == "completed", body
            return body
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.1)


async def submit(api, task: str, params: dict, artifact_id: str) -> dict:
    response = await api.post("/v1/jobs", json={"task": task, "params": params, "inputs": [{"artifact": artifact_id}]})
    assert response.status_code == 202, response.text
    return await wait_for(api, response.json()["id"])


async def test_delete_takes_thumbnails_and_variants_through_lineage(api, worker, settings):
    original = await upload(api, png_bytes(), "photo.png")
    bystander = await upload(api, png_bytes(), "same-photo-other-upload.png")  # same bytes, unrelated
    async with worker(["thumbnails", "variants"]):
        variants = await submit(api, "asset.variants", {"variants": ["PREVIEW", "MOBILE"]}, original["id"])
        preview = variants["result"]["variants"]["PREVIEW"]["artifact"]["artifact"]
        thumb = await submit(api, "asset.thumbnail", {}, original["id"])
        # A derivative of a derivative: the preview's own thumbnail.
        preview_thumb = await submit(api, "asset.thumbnail", {}, preview)
    derived = {preview, variants["result"]["variants"]["MOBILE"]["artifact"]["artifact"],
               thumb["result"]["thumbnail"]["artifact"], preview_thumb["result"]["thumbnail"]["artifact"]}

    dry = (await api.delete(f"/v1/artifacts/{original['id']}", params={"dry_run": "true"})).json()
    assert dry["dry_run"] and dry["deleted"] == [] and set(dry["derived"]) == derived
    assert (await api.get(f"/v1/artifacts/{preview}")).status_code == 200  # a dry run deletes nothing

    gone = (await api.delete(f"/v1/artifacts/{original['id']}")).json()
    assert set(gone["deleted"]) == derived | {original["id"]} and gone["bytes"] > 0
    for artifact_id in derived | {original["id"]}:
        assert (await api.get(f"/v1/artifacts/{artifact_id}")).status_code == 404
    with open_database(settings).session() as session:
        assert all(records.get(session, artifact_id) is None for artifact_id in derived)
    still = (await api.get(f"/v1/artifacts/{bystander['id']}")).json()
    assert (await download(api, still)).content == png_bytes()

    again = await api.delete(f"/v1/artifacts/{original['id']}")
    assert again.status_code == 404 and again.json()["field"] == "artifact"

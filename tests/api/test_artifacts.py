"""Uploads (streamed, size-limited, MIME by content) and signed downloads (Range, headers, 403 on bad links)."""

from __future__ import annotations

import io
import os
import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from PIL import Image

from mediamill.signing import signature


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), "red").save(buffer, "PNG")
    return buffer.getvalue()


async def upload(api, data: bytes, name: str = "file.bin") -> dict:
    response = await api.post("/v1/artifacts", files={"file": (name, data, "application/octet-stream")})
    assert response.status_code == 201, response.text
    return response.json()


async def test_mime_comes_from_the_content_not_the_name(api):
    artifact = await upload(api, png_bytes(), "not-really.txt")
    assert artifact["mime"] == "image/png" and artifact["name"] == "not-really.txt"
    record = (await api.get(f"/v1/artifacts/{artifact['id']}")).json()
    assert record["sha256"] == artifact["sha256"] and record["download"]["url"].startswith("http://")


async def test_upload_over_the_limit_is_413_and_leaves_nothing_behind(make_api, settings):
    small = settings.model_copy(update={"limits": settings.limits.model_copy(update={"max_upload_bytes": 1000})})
    async with make_api(small) as api:
        multipart = await api.post("/v1/artifacts", files={"file": ("big.bin", os.urandom(5000))})
        raw = await api.post("/v1/artifacts", content=os.urandom(5000),
                             headers={"Content-Type": "application/octet-stream"})
        ok = await api.post("/v1/artifacts", content=b"x" * 1000, headers={"Content-Type": "application/octet-stream"})
    assert multipart.status_code == 413 and "1000 bytes" in multipart.json()["message"]
    assert raw.status_code == 413 and raw.json()["error"] == "LimitExceeded"
    assert ok.status_code == 201
    leftovers = list((settings.resolved_data_dir / "tmp" / "uploads").glob("upload-*"))
    assert leftovers == []


async def test_upload_needs_exactly_one_file(api):
    response = await api.post("/v1/artifacts", data={"note": "no file here"},
                              files={"a": ("a", b"1"), "b": ("b", b"2")})
    assert response.status_code == 422 and "exactly one file" in response.json()["message"]


async def test_download_full_and_ranges_through_uvicorn(live_api):
    base_url, _ = live_api
    data = os.urandom(300_000)
    async with httpx.AsyncClient(base_url=base_url) as http:
        artifact = (await http.post("/v1/artifacts", params={"name": "../dir/clip;one\u00e9.mp4"}, content=data,
                                    headers={"Content-Type": "application/octet-stream"})).json()
        link = artifact["download"]["url"]
        assert link.startswith(base_url)
        full = await http.get(link)
        assert full.status_code == 200 and full.content == data
        assert full.headers["content-length"] == str(len(data))
        assert full.headers["accept-ranges"] == "bytes"
        assert full.headers["content-type"] == "application/octet-stream"
        disposition = full.headers["content-disposition"]
        assert disposition.startswith("attachment; filename=\"clip_onee.mp4\"")
        assert "filename*=UTF-8''clip%3Bone%C3%A9.mp4" in disposition

        part = await http.get(link, headers={"Range": "bytes=1000-1999"})
        assert part.status_code == 206 and part.content == data[1000:2000]
        assert part.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
        assert part.headers["content-length"] == "1000"
        tail = await http.get(link, headers={"Range": "bytes=-10"})
        assert tail.status_code == 206 and tail.content == data[-10:]
        open_ended = await http.get(link, headers={"Range": "bytes=299990-"})
        assert open_ended.content == data[299990:]
        outside = await http.get(link, headers={"Range": "bytes=400000-"})
        assert outside.status_code == 416 and outside.headers["content-range"] == f"bytes */{len(data)}"
        head = await http.head(link)
        assert head.status_code == 200 and head.headers["content-length"] == str(len(data)) and head.content == b""


async def test_tampered_expired_or_incomplete_links_are_403(api, settings):
    artifact = await upload(api, b"secret bytes")
    link = urlparse(artifact["download"]["url"])
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    path = link.path

    tampered = await api.get(path, params={**query, "sig": "0" * 64})
    assert tampered.status_code == 403 and "signature does not match" in tampered.json()["message"]
    longer = await api.get(path, params={**query, "exp": int(query["exp"]) + 10})
    assert longer.status_code == 403  # extending the expiry breaks the signature
    other = await upload(api, b"other bytes")
    swapped = await api.get(f"/v1/artifacts/{other['id']}/download", params=query)
    assert swapped.status_code == 403  # a link signs one artifact only

    past = int(time.time()) - 5
    expired = await api.get(path, params={"exp": past, "sig": signature(
        (settings.resolved_data_dir / "secret.key").read_bytes(), artifact["id"], past)})
    assert expired.status_code == 403 and "expired" in expired.json()["message"]
    incomplete = await api.get(path)
    assert incomplete.status_code == 403 and "needs both" in incomplete.json()["message"]


def test_the_server_secret_is_generated_owner_only(settings):
    from mediamill.signing import server_secret

    secret = server_secret(settings)
    path = settings.resolved_data_dir / "secret.key"
    assert len(secret) == 64 and path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("artifact_id", ["art_doesnotexist", "nope", "art_../../etc/passwd"])
async def test_unknown_artifacts_are_404(api, artifact_id):
    response = await api.get(f"/v1/artifacts/{artifact_id}")
    assert response.status_code == 404 and response.json()["error"] == "NotFound"

"""With S3 storage the bytes skip the API: a signed download link answers 302 to a presigned S3 URL,
and a large upload goes to S3 through presigned POST/PUT links, then a confirm call makes the artifact."""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
from PIL import Image

from mediamill.api.main import create_app
from mediamill.db.session import close_database
from mediamill.settings import Limits

BODY = bytes(range(256)) * 400  # 100 KiB


@contextlib.asynccontextmanager
async def api_on(settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as http:
            yield http
    close_database(settings)


async def _upload(api) -> dict:
    answer = await api.post("/v1/artifacts", files={"file": ("sample résumé.bin", BODY, "application/octet-stream")})
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_signed_links_redirect_to_presigned_s3_urls(settings, s3_endpoint, s3_bucket):
    s3 = settings.model_copy(update={"storage_url": f"s3://{s3_bucket}/mm", "storage_endpoint_url": s3_endpoint})
    async with api_on(s3) as api:
        view = await _upload(api)
        link = view["download"]["url"]
        answer = await api.get(link)
        # Then the API answers with where the bytes are, not with the bytes
        assert answer.status_code == 302 and not answer.content
        location = answer.headers["location"]
        assert location.startswith(f"{s3_endpoint}/{s3_bucket}/mm/blobs/")
        expires = int(parse_qs(urlsplit(location).query)["X-Amz-Expires"][0])
        link_exp = int(parse_qs(urlsplit(link).query)["exp"][0])
        assert 0 < expires <= link_exp  # the presigned URL does not outlive the signed link
        # And S3 serves them with the artifact's own type and file name, ranges included
        async with httpx.AsyncClient() as outside:
            whole = await outside.get(location)
            part = await outside.get(location, headers={"Range": "bytes=256-511"})
        assert whole.status_code == 200 and whole.content == BODY
        assert whole.headers["content-type"] == view["mime"]
        assert 'filename="sample resume.bin"' in whole.headers["content-disposition"]
        assert part.status_code == 206 and part.content == BODY[256:512]
        # A link that was tampered with is still refused by the API itself
        refused = await api.get(link.replace("sig=", "sig=0"))
        assert refused.status_code == 403


async def test_redirects_can_be_turned_off(settings, s3_endpoint, s3_bucket):
    s3 = settings.model_copy(update={"storage_url": f"s3://{s3_bucket}/mm", "storage_endpoint_url": s3_endpoint,
                                     "storage_redirect_downloads": False})
    async with api_on(s3) as api:
        view = await _upload(api)
        answer = await api.get(view["download"]["url"])
    assert answer.status_code == 200 and answer.content == BODY


def _png() -> bytes:
    import io

    out = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def _s3_settings(settings, endpoint, bucket, **update):
    return settings.model_copy(update={"storage_url": f"s3://{bucket}/mm", "storage_endpoint_url": endpoint, **update})


def _uploads_left(endpoint: str, bucket: str) -> list[str]:
    listing = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=bucket, Prefix="mm/uploads/")
    return [item["Key"] for item in listing.get("Contents", [])]


async def test_direct_upload_by_presigned_post_then_confirm(settings, s3_endpoint, s3_bucket):
    png = _png()
    async with api_on(_s3_settings(settings, s3_endpoint, s3_bucket)) as api:
        links = (await api.post("/v1/artifacts/uploads")).json()
        assert links["upload"].startswith("upl_") and links["max_bytes"] == settings.limits.max_upload_bytes
        # The client sends the bytes to S3 itself
        async with httpx.AsyncClient() as outside:
            sent = await outside.post(links["post"]["url"], data=links["post"]["fields"],
                                      files={"file": ("banner.png", png, "image/png")})
        assert sent.status_code in (200, 201, 204), sent.text
        confirmed = await api.post(f"/v1/artifacts/uploads/{links['upload']}/confirm",
                                   json={"name": "banner.png", "expires_in_hours": 2})
        assert confirmed.status_code == 201, confirmed.text
        view = confirmed.json()
        assert (view["mime"], view["size"], view["name"]) == ("image/png", len(png), "banner.png")
        assert view["expires_at"] is not None
        download = await api.get(view["download"]["url"])
        async with httpx.AsyncClient() as outside:
            assert (await outside.get(download.headers["location"])).content == png
        # The upload object is gone: a second confirm finds nothing
        again = await api.post(f"/v1/artifacts/uploads/{links['upload']}/confirm")
        assert again.status_code == 404 and "upload" in again.json()["message"]
    assert _uploads_left(s3_endpoint, s3_bucket) == []


async def test_direct_upload_by_put_is_held_to_the_limit_at_confirm(settings, s3_endpoint, s3_bucket):
    small = _s3_settings(settings, s3_endpoint, s3_bucket, limits=Limits(max_upload_bytes=50_000))
    async with api_on(small) as api:
        ok, big = (await api.post("/v1/artifacts/uploads")).json(), (await api.post("/v1/artifacts/uploads")).json()
        async with httpx.AsyncClient() as outside:
            assert (await outside.put(ok["put"]["url"], content=BODY[:40_000])).status_code == 200
            assert (await outside.put(big["put"]["url"], content=BODY)).status_code == 200  # PUT cannot be capped
        made = await api.post(f"/v1/artifacts/uploads/{ok['upload']}/confirm")
        assert made.status_code == 201 and made.json()["size"] == 40_000
        refused = await api.post(f"/v1/artifacts/uploads/{big['upload']}/confirm")
        assert refused.status_code == 413 and "over the limit of 50000 bytes" in refused.json()["message"]
        assert (await api.post("/v1/artifacts/uploads/upl_nope/confirm")).status_code == 404
    assert _uploads_left(s3_endpoint, s3_bucket) == []  # the refused bytes were deleted too


async def test_direct_uploads_need_s3(settings):
    async with api_on(settings) as api:
        answer = await api.post("/v1/artifacts/uploads")
    assert answer.status_code == 409 and "POST /v1/artifacts" in answer.json()["message"]

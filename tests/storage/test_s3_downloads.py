"""With S3 storage, a signed download link answers 302 to a presigned S3 URL: the bytes skip the API."""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qs, urlsplit

import httpx

from mediamill.api.main import create_app
from mediamill.db.session import close_database

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

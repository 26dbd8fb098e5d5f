"""Share links on SQLite and PostgreSQL: expiry, password, download limit (raced), revoke, analytics, bad input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import httpx
import pytest
from sqlalchemy import update

from mediamill.constants import SHARE_FAILURES_KEY
from mediamill.db import open_database
from mediamill.db.models.shares import ShareLink
from mediamill.db.repositories import analytics as analytics_records
from mediamill.db.testing import on_each_database

settings = pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.external)],
                          name="settings")(on_each_database)

DATA = b"the shared bytes\n" * 100


async def upload(http, data: bytes = DATA, name: str = "report.txt") -> dict:
    response = await http.post("/v1/artifacts", content=data, params={"name": name},
                               headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 201, response.text
    return response.json()


async def share(http, artifact_id: str, **body) -> dict:
    response = await http.post(f"/v1/artifacts/{artifact_id}/shares", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def path_of(link: dict) -> str:
    return urlparse(link["url"]).path


async def test_a_link_serves_the_file_counts_downloads_and_stops_at_its_limit(api):
    artifact = await upload(api)
    link = await share(api, artifact["id"], max_downloads=2, expires_in_hours=1)
    assert link["state"] == "active" and link["remaining"] == 2 and link["url"].endswith(link["token"])
    assert (await api.head(path_of(link))).status_code == 200  # HEAD is not a download

    first = await api.get(path_of(link))
    assert first.status_code == 200 and first.content == DATA
    assert "report.txt" in first.headers["content-disposition"]
    # A range request counts too on a limited link: ranges cannot get round the limit.
    second = await api.get(path_of(link), headers={"Range": "bytes=5-9"})
    assert second.status_code == 206 and second.content == DATA[5:10]
    third = await api.get(path_of(link))
    assert third.status_code == 410 and "download limit of 2" in third.json()["message"]

    view = (await api.get(f"/v1/shares/{link['id']}")).json()
    assert view["downloads"] == 2 and view["remaining"] == 0 and view["state"] == "used up"
    assert "token" not in view and "url" not in view  # shown once, at creation
    listed = (await api.get(f"/v1/artifacts/{artifact['id']}/shares")).json()
    assert [item["id"] for item in listed] == [link["id"]]


async def test_concurrent_requests_for_the_last_download_get_it_once(api):
    artifact = await upload(api)
    link = await share(api, artifact["id"], max_downloads=3)
    answers = await asyncio.gather(*(api.get(path_of(link)) for _ in range(12)))
    codes = sorted(answer.status_code for answer in answers)
    assert codes.count(200) == 3 and codes.count(410) == 9, codes
    assert (await api.get(f"/v1/shares/{link['id']}")).json()["downloads"] == 3


async def test_password_from_the_header_or_the_form_and_a_browser_gets_a_form(api):
    artifact = await upload(api)
    link = await share(api, artifact["id"], password="correct horse")
    asked = await api.get(path_of(link))
    assert asked.status_code == 401 and asked.json()["field"] == "password"
    browser = await api.get(path_of(link), headers={"Accept": "text/html,*/*"})
    assert browser.status_code == 401 and 'name="password"' in browser.text and 'method="post"' in browser.text
    wrong = await api.get(path_of(link), headers={"X-Share-Password": "wrong horse"})
    assert wrong.status_code == 403 and wrong.json()["field"] == "password"
    header = await api.get(path_of(link), headers={"X-Share-Password": "correct horse"})
    assert header.status_code == 200 and header.content == DATA
    retry = await api.post(path_of(link), data={"password": "wrong horse"}, headers={"Accept": "text/html"})
    assert retry.status_code == 403 and "Wrong password." in retry.text and 'name="password"' in retry.text
    form = await api.post(path_of(link), data={"password": "correct horse"})
    assert form.status_code == 200 and form.content == DATA
    assert (await api.get(f"/v1/shares/{link['id']}")).json()["downloads"] == 2


async def test_revoked_expired_and_deleted_links_are_refused_with_410(api, settings):
    artifact = await upload(api)
    revoked = await share(api, artifact["id"])
    gone = await api.delete(f"/v1/shares/{revoked['id']}")
    assert gone.status_code == 200 and gone.json()["state"] == "revoked"
    answer = await api.get(path_of(revoked))
    assert answer.status_code == 410 and "revoked" in answer.json()["message"]

    expiring = await share(api, artifact["id"], expires_in_hours=1)
    with open_database(settings).session() as session:
        session.execute(update(ShareLink).where(ShareLink.id == expiring["id"])
                        .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    answer = await api.get(path_of(expiring))
    assert answer.status_code == 410 and "expired at" in answer.json()["message"]

    deleted = await share(api, artifact["id"])
    await api.delete(f"/v1/artifacts/{artifact['id']}")
    answer = await api.get(path_of(deleted))
    assert answer.status_code == 410 and "artifact deleted" in answer.json()["message"]
    assert (await api.get(f"/v1/shares/{deleted['id']}")).json()["state"] == "artifact deleted"
    assert (await api.get("/s/" + "x" * 32)).status_code == 404


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"password": "short"}, "password", "at least 8 characters"),
    ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at", "in the past"),
    ({"expires_at": "2999-01-01T00:00:00"}, "expires_at", "time zone"),
    ({"expires_in_hours": 10**6}, "expires_at", "at most"),
    ({"max_downloads": 0}, "max_downloads", "greater than or equal to 1"),
    ({"surprise": 1}, "surprise", "Extra inputs"),
])
async def test_bad_share_requests_are_422_naming_the_field(api, body, field, words):
    artifact = await upload(api)
    answer = await api.post(f"/v1/artifacts/{artifact['id']}/shares", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field and words in answer.json()["message"]
    assert (await api.get(f"/v1/artifacts/{artifact['id']}/shares")).json() == []  # nothing was made


async def test_unknown_artifact_is_404(api):
    answer = await api.post("/v1/artifacts/art_0000000000000000000000/shares", json={})
    assert answer.status_code == 404 and answer.json()["field"] == "artifact"


async def test_shares_and_downloads_are_counted_into_analytics(live_api, worker):
    base_url, served = live_api
    async with worker(["analytics"], settings=served), httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        artifact = await upload(http)
        link = await share(http, artifact["id"], expiresAt=(datetime.now(UTC) + timedelta(days=2)).isoformat())
        assert (await http.get(link["url"])).status_code == 200
        assert (await http.get(path_of(link))).status_code == 200
        database = open_database(served)
        for _ in range(600):
            with database.session() as session:
                if analytics_records.count_events(session) >= 3:
                    break
            await asyncio.sleep(0.05)
        top = (await http.get("/v1/analytics/top-assets", params={"type": "ASSET_DOWNLOAD", "days": 1})).json()
        shared = (await http.get("/v1/analytics/top-assets", params={"type": "ASSET_SHARE", "days": 1})).json()
    assert top["data"] == [{"assetId": artifact["id"], "count": 2}]
    assert shared["data"] == [{"assetId": artifact["id"], "count": 1}]


async def test_password_guessing_is_cut_off_with_429(make_api, settings):
    strict = settings.model_copy(update={"shares": settings.shares.model_copy(update={"max_password_failures": 3})})
    async with make_api(strict) as api:
        artifact = await upload(api)
        link = await share(api, artifact["id"], password="correct horse")
        guesses = [await api.get(path_of(link), headers={"X-Share-Password": f"guess {n}"}) for n in range(3)]
        assert [g.status_code for g in guesses] == [403, 403, 403]
        blocked = await api.get(path_of(link), headers={"X-Share-Password": "correct horse"})
        assert blocked.status_code == 429 and blocked.json()["field"] == "password"
        assert int(blocked.headers["retry-after"]) == 600
        other = await share(api, artifact["id"], password="another horse")  # other links are not affected
        assert (await api.get(path_of(other), headers={"X-Share-Password": "another horse"})).status_code == 200


async def test_the_password_cap_holds_across_api_processes(make_api, settings):
    # Given two API apps, each with its own Services and Redis connection (as two processes have),
    strict = settings.model_copy(update={"shares": settings.shares.model_copy(update={"max_password_failures": 2})})
    async with make_api(strict) as first, make_api(strict) as second:
        artifact = await upload(first)
        link = await share(first, artifact["id"], password="correct horse")
        # When the guesses go to the first,
        for n in range(2):
            assert (await first.get(path_of(link), headers={"X-Share-Password": f"guess {n}"})).status_code == 403
        # Then the second refuses too, and the count is in Redis, not in a process.
        blocked = await second.get(path_of(link), headers={"X-Share-Password": "correct horse"})
        assert blocked.status_code == 429, blocked.text
        redis = second.app.state.services.broker.redis
        assert await redis.zcard(f"{SHARE_FAILURES_KEY}:{link['id']}") == 2
        assert 0 < await redis.ttl(f"{SHARE_FAILURES_KEY}:{link['id']}") <= 601

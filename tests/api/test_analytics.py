"""analytics.track through POST /v1/events and a worker: batches, exact rollups, the queries, bad events."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from mediamill.db import open_database
from mediamill.db.repositories import analytics as records
from mediamill.db.testing import on_each_database
from mediamill.errors import BadInput
from mediamill.processors.analytics.events import check_events
from mediamill.tasks.registry import get_task
from mediamill.testing import make_context

settings = pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.external)],
                          name="settings")(on_each_database)


async def wait_done(http: httpx.AsyncClient, job_id: str) -> dict:
    for _ in range(600):
        view = (await http.get(f"/v1/jobs/{job_id}")).json()
        if view["status"] in ("completed", "failed"):
            return view
        await asyncio.sleep(0.05)
    raise AssertionError("job did not finish")


def event(kind: str, asset: str | None = None, user: str | None = "usr_1", days_ago: int = 0, **data) -> dict:
    when = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    return {"type": kind, "assetId": asset, "userId": user, "data": data, "timestamp": when}


async def test_a_batch_is_one_job_and_the_rollups_answer_the_queries(live_api, worker):
    base_url, settings = live_api
    batch = ([event("ASSET_VIEW", "ast_a") for _ in range(5)] + [event("ASSET_VIEW", "ast_b") for _ in range(2)]
             + [event("ASSET_DOWNLOAD", "ast_a", days_ago=1), event("ASSET_DOWNLOAD", "ast_a")]
             + [event("SEARCH", query="Trail Mug"), event("SEARCH", query="trail mug "), event("SEARCH", query="logo")]
             + [event("ACTIVITY", user=None)])
    async with worker(["analytics"], settings=settings), httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        answer = await http.post("/v1/events", json={"events": batch})
        assert answer.status_code == 202 and answer.json()["accepted"] == len(batch)
        done = await wait_done(http, answer.json()["job"])
        assert done["status"] == "completed" and done["result"] == {"events": len(batch), "written": True}
        # The seed's single-event job works as it is.
        single = await http.post("/v1/jobs", json={"task": "analytics.track", "params": event("ASSET_VIEW", "ast_b")})
        await wait_done(http, single.json()["id"])

        top = (await http.get("/v1/analytics/top-assets", params={"type": "ASSET_VIEW", "days": 7})).json()
        assert top["data"] == [{"assetId": "ast_a", "count": 5}, {"assetId": "ast_b", "count": 3}]
        downloads = (await http.get("/v1/analytics/downloads", params={"assetId": "ast_a", "days": 7})).json()
        assert [d["count"] for d in downloads["data"]] == [1, 1] and len({d["day"] for d in downloads["data"]}) == 2
        searches = (await http.get("/v1/analytics/searches", params={"days": 7})).json()
        assert searches["topQueries"] == [{"query": "trail mug", "count": 2}, {"query": "logo", "count": 1}]
        assert sum(d["count"] for d in searches["perDay"]) == 3


async def test_a_retried_batch_is_written_once(settings):
    spec = get_task("analytics.track")
    params = spec.parse_params({"events": [event("ASSET_VIEW", "ast_a"), event("ASSET_VIEW", "ast_a")]})
    first = await spec.fn(make_context(settings, "analytics.track", job_id="job_batch"), params)
    again = await spec.fn(make_context(settings, "analytics.track", job_id="job_batch"), params)
    assert first["written"] is True and again["written"] is False
    with open_database(settings).session() as session:
        assert records.count_events(session) == 2
        since = (datetime.now(UTC) - timedelta(days=1)).date()
        assert records.top_assets(session, "ASSET_VIEW", since, 5) == [{"assetId": "ast_a", "count": 2}]


async def test_a_stored_batch_is_written_once_and_then_deleted(settings):
    # Given a batch stored as POST /v1/events stores it: the job's input, only its count in the params
    body = json.dumps({"events": [event("SEARCH", query="mug"), event("ASSET_VIEW", "ast_b")]}).encode()
    spec = get_task("analytics.track")
    ctx = make_context(settings, "analytics.track", [body], job_id="job_stored")
    batch = ctx.input(0)
    first = await spec.fn(ctx, spec.parse_params({"stored": 2}))
    # When the job runs again (a retry after the batch went in), Then nothing is read or written twice
    again = await spec.fn(make_context(settings, "analytics.track", [batch], job_id="job_stored"),
                          spec.parse_params({"stored": 2}))
    assert first == {"events": 2, "written": True} and again["written"] is False
    assert not ctx.store.exists(batch.id)
    with open_database(settings).session() as session:
        assert records.count_events(session) == 2


async def test_a_stored_batch_is_checked_again_by_the_task(settings):
    # An artifact input may come from anywhere: the task checks it as the edge does, naming the event.
    body = json.dumps({"events": [event("ASSET_VIEW", "a"), event("ASSET_LIKE", "b")]}).encode()
    spec = get_task("analytics.track")
    ctx = make_context(settings, "analytics.track", [body], job_id="job_bad_stored")
    with pytest.raises(BadInput, match="events.1.type") as refused:
        await spec.fn(ctx, spec.parse_params({"stored": 2}))
    assert refused.value.field == "inputs"
    with open_database(settings).session() as session:
        assert records.count_events(session) == 0


def test_seed_and_our_field_names_read_the_same():
    now = datetime.now(UTC)
    seed = check_events([{"type": "SEARCH", "assetId": "a", "userId": "u", "data": {"query": "mug"}}], now)
    ours = check_events([{"type": "SEARCH", "asset_id": "a", "user_id": "u", "data": {"query": "mug"}}], now)
    assert seed.rows == ours.rows and json.loads(seed.rows[0][3]) == {"query": "mug"}
    assert check_events([{"type": "ACTIVITY", "data": None}], now).rows[0][3] == "{}"


async def test_a_posted_batch_travels_by_reference(api):
    answer = await api.post("/v1/events", json={"events": [event("ASSET_VIEW", "a")] * 3})
    assert answer.status_code == 202 and answer.json()["accepted"] == 3
    job = (await api.get(f"/v1/jobs/{answer.json()['job']}")).json()
    assert job["params"] == {"stored": 3} and len(job["inputs"]) == 1


@pytest.mark.parametrize(("bad", "where"), [
    ({"type": "ASSET_LIKE"}, "events.1.type"),
    ({"timestamp": (datetime.now(UTC) + timedelta(days=2)).isoformat()}, "events.1.timestamp"),
    ({"timestamp": "yesterday-ish"}, "events.1.timestamp"),
    ({"timestamp": True}, "events.1.timestamp"),
    ({"assetId": "a" * 129}, "events.1.assetId"),
    ({"user_id": 7}, "events.1.user_id"),
    ({"data": [1, 2]}, "events.1.data"),
    ({"colour": "red"}, "events.1.colour"),
])
async def test_bad_events_are_refused_naming_the_field(api, bad, where):
    answer = await api.post("/v1/events", json={"events": [event("ASSET_VIEW", "a"), {**event("ASSET_VIEW"), **bad}]})
    assert answer.status_code == 422 and where in answer.json()["message"], answer.json()
    empty = await api.post("/v1/events", json={"events": []})
    assert empty.status_code == 422
    extra = await api.post("/v1/events", json={"events": [event("ASSET_VIEW")], "more": 1})
    assert extra.status_code == 422 and extra.json()["field"] == "more"
    broken = await api.post("/v1/events", content=b'{"events": [{"type": "ASSET_VIEW"}',
                            headers={"Content-Type": "application/json"})
    assert broken.status_code == 422 and broken.json()["field"] in ("events", "body")
    unknown = await api.get("/v1/analytics/top-assets", params={"type": "NOPE"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "type"


async def test_signed_downloads_emit_asset_download_when_asked(settings, serve_api, worker):
    tracked = settings.model_copy(update={"analytics": settings.analytics.model_copy(update={"track_downloads": True})})
    with serve_api(tracked) as (base_url, served):
        async with worker(["analytics"], settings=served), httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            artifact = (await http.post("/v1/artifacts", files={"file": ("a.txt", b"0123456789", "text/plain")})).json()
            link = artifact["download"]["url"]
            assert (await http.get(link)).content == b"0123456789"
            assert (await http.get(link, headers={"Range": "bytes=0-3"})).status_code == 206  # counted
            assert (await http.get(link, headers={"Range": "bytes=4-"})).status_code == 206  # a resume: not counted
            for _ in range(200):
                data = (await http.get("/v1/analytics/downloads", params={"assetId": artifact["id"]})).json()["data"]
                if data and data[0]["count"] >= 2:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # a third, wrongly counted event would have landed by now
            data = (await http.get("/v1/analytics/downloads", params={"assetId": artifact["id"]})).json()["data"]
    assert [d["count"] for d in data] == [2]

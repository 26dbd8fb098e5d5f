"""notify.create through a worker, /v1/notifications (paging, read, read-all) and the per-user SSE stream."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from mediamill.db.testing import on_each_database

# These tests run on SQLite and, where it is reachable (CI), on PostgreSQL.
settings = pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.external)],
                          name="settings")(on_each_database)


def notification(user: str, n: int, **extra) -> dict:
    return {"task": "notify.create", "params": {"userId": user, "type": "ASSET_READY", "title": f"Render {n} done",
                                                  "message": f"video {n} is ready", "projectId": "prj_1", **extra}}


async def submit_and_wait(http: httpx.AsyncClient, body: dict) -> dict:
    job = (await http.post("/v1/jobs", json=body)).json()
    for _ in range(600):
        view = (await http.get(f"/v1/jobs/{job['id']}")).json()
        if view["status"] in ("completed", "failed"):
            return view
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job['id']} did not finish")


async def test_list_page_read_and_read_all(live_api, worker):
    base_url, settings = live_api
    async with worker(["notifications"], settings=settings), httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        for n in range(5):
            done = await submit_and_wait(http, notification("usr_lina", n))
            assert done["status"] == "completed", done
        await submit_and_wait(http, notification("usr_omar", 9))

        first = (await http.get("/v1/notifications", params={"user": "usr_lina", "limit": 2})).json()
        assert first["count"] == 5 and [n["title"] for n in first["data"]] == ["Render 4 done", "Render 3 done"]
        assert first["data"][0]["projectId"] == "prj_1" and first["data"][0]["read"] is False
        second = (await http.get("/v1/notifications",
                                 params={"user": "usr_lina", "limit": 2, "before": first["next"]})).json()
        assert [n["title"] for n in second["data"]] == ["Render 2 done", "Render 1 done"]

        read = (await http.post(f"/v1/notifications/{first['data'][0]['id']}/read")).json()
        assert read["read"] is True and read["readAt"]
        unread = (await http.get("/v1/notifications", params={"user": "usr_lina", "unread": "true"})).json()
        assert unread["count"] == 4
        assert (await http.post("/v1/notifications/read-all", params={"user": "usr_lina"})).json()["updated"] == 4
        assert (await http.get("/v1/notifications", params={"user": "usr_lina", "unread": True})).json()["count"] == 0
        assert (await http.get("/v1/notifications", params={"user": "usr_omar"})).json()["count"] == 1

        missing = await http.post("/v1/notifications/999999/read")
        assert missing.status_code == 404
        no_user = await http.get("/v1/notifications")
        assert no_user.status_code == 422 and no_user.json()["field"] == "user"


async def test_a_retried_job_creates_one_notification(live_api, worker):
    from mediamill.tasks.registry import get_task
    from mediamill.testing import make_context

    _, settings = live_api
    spec = get_task("notify.create")
    params = spec.parse_params(notification("usr_x", 1)["params"])
    first = await spec.fn(make_context(settings, "notify.create", job_id="job_n1"), params)
    again = await spec.fn(make_context(settings, "notify.create", job_id="job_n1"), params)
    assert first["created"] is True and again["created"] is False and again["id"] == first["id"]


async def test_a_notification_without_a_user_is_refused_naming_the_field(api):
    body = notification("usr_lina", 1)
    del body["params"]["userId"]
    answer = await api.post("/v1/jobs", json=body)
    assert answer.status_code == 422 and "userId" in answer.json()["message"], answer.json()
    blank = notification(" ", 1)
    answer = await api.post("/v1/jobs", json=blank)
    assert answer.status_code == 422 and "userId" in answer.json()["message"], answer.json()


class EventReader:
    """Reads SSE events off one streaming response, across calls."""

    def __init__(self, response: httpx.Response) -> None:
        self.chunks, self.buffer = response.aiter_text(), ""

    async def next(self, count: int = 1) -> list[tuple[str, dict, str | None]]:
        events = []
        while len(events) < count:
            while "\n\n" not in self.buffer:
                self.buffer += await anext(self.chunks)
            block, self.buffer = self.buffer.split("\n\n", 1)
            lines = [line for line in block.splitlines() if line and not line.startswith(":")]
            if lines:
                fields = dict(line.split(": ", 1) for line in lines)
                events.append((fields["event"], json.loads(fields["data"]), fields.get("id")))
        return events


async def test_the_stream_sees_a_new_notification_and_resumes_from_last_event_id(live_api, worker):
    base_url, settings = live_api
    async with worker(["notifications"], settings=settings), httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        async with http.stream("GET", "/v1/notifications/stream", params={"user": "usr_lina"}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            reader = EventReader(response)
            ready = await reader.next()
            assert ready[0][0] == "ready"
            await http.post("/v1/jobs", json=notification("usr_omar", 0))  # someone else's: not streamed
            await http.post("/v1/jobs", json=notification("usr_lina", 1))
            events = await asyncio.wait_for(reader.next(), timeout=20)
        name, data, event_id = events[0]
        assert name == "notification" and data["title"] == "Render 1 done" and event_id == str(data["id"])

        await submit_and_wait(http, notification("usr_lina", 2))
        # A client that reconnects with the last id it saw gets what it missed.
        async with http.stream("GET", "/v1/notifications/stream", params={"user": "usr_lina"},
                               headers={"Last-Event-ID": event_id}) as response:
            missed = await asyncio.wait_for(EventReader(response).next(2), timeout=20)
        assert [e[0] for e in missed] == ["ready", "notification"] and missed[1][1]["title"] == "Render 2 done"

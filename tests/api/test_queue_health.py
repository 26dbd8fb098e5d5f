"""GET /v1/queues shows the workers online and flags waiting jobs nobody serves; GET /v1/workers lists them."""

from __future__ import annotations


async def test_queues_show_workers_online_and_flag_unserved_waiting_jobs(api, worker, settings):
    services = api.app.state.services
    # A job waiting on a queue no worker serves (added as a Node producer would)
    await services.broker.queue("email").add("email.send", {"task": "email.send", "params": {}})
    async with worker(["thumbnails", "variants"]):
        rows = {row["name"]: row for row in (await api.get("/v1/queues")).json()}
        workers = (await api.get("/v1/workers")).json()
    assert rows["thumbnails"]["workers"] == 1 and rows["variants"]["workers"] == 1
    assert rows["thumbnails"]["no_workers"] is False
    assert rows["email"]["workers"] == 0 and rows["email"]["counts"]["waiting"] == 1
    assert rows["email"]["no_workers"] is True
    assert rows["images"]["no_workers"] is False  # nobody serves it, but nothing waits either
    assert len(workers) == 1 and workers[0]["queues"] == ["thumbnails", "variants"]
    # Stopped, the worker is gone from both
    assert (await api.get("/v1/workers")).json() == []
    rows = {row["name"]: row for row in (await api.get("/v1/queues")).json()}
    assert rows["thumbnails"]["workers"] == 0

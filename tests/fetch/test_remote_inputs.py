"""`{"url": ...}` job inputs through a real worker: fetched when allowed, refused at once when not."""

from __future__ import annotations

import pytest

from mediamill.client import AsyncClient
from mediamill.errors import BadInput, JobFailed
from mediamill.security import Limits
from mediamill.testing import enqueue_raw


async def test_url_input_is_fetched_and_processed(worker, settings, origin):
    allowed = settings.model_copy(update={"limits": Limits(fetch_allow_hosts=[origin.hostport])})
    async with AsyncClient(allowed) as client, worker(["assets"], settings=allowed):
        handle = await client.submit("file.inspect", {}, [{"url": origin.url("/photo/pic.png")}])
        result = await handle.result(timeout=60)
    assert result["mime"] == "image/png" and result["width"] == 7 and result["height"] == 5
    assert result["name"] == "pic.png"


async def test_a_private_url_input_is_refused_at_submit(client, origin):
    with pytest.raises(BadInput, match="127.0.0.1, a loopback address") as caught:
        await client.submit("file.inspect", {}, [{"url": origin.url("/hello")}])
    assert caught.value.field == "inputs"
    assert origin.requests == []


async def test_a_private_url_input_from_a_raw_producer_fails_at_once_in_the_worker(client, worker, origin):
    # Given a job written straight into BullMQ (a Node producer): no submit checks ran.
    job_id = await enqueue_raw(client.broker, "file.inspect", {"inputs": [{"url": origin.url("/hello")}]})
    async with worker(["assets"]):
        with pytest.raises(JobFailed, match="127.0.0.1, a loopback address") as caught:
            await client.job(job_id).result(timeout=60)
    status = caught.value.status
    assert status.error.type == "BadInput" and not status.error.retryable
    assert status.attempts == 1  # no pointless retries
    assert origin.requests == []

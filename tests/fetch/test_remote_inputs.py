"""`{"url": ...}` job inputs through a real worker: fetched when allowed, refused at once when not."""

from __future__ import annotations

import pytest

from mediamill.errors import JobFailed
from mediamill.security import Limits


async def test_url_input_is_fetched_and_processed(client, worker, settings, origin):
    allowed = settings.model_copy(update={"limits": Limits(fetch_allow_hosts=[origin.hostport])})
    async with worker(["assets"], settings=allowed):
        handle = await client.submit("file.inspect", {}, [{"url": origin.url("/photo/pic.png")}])
        result = await handle.result(timeout=60)
    assert result["mime"] == "image/png" and result["width"] == 7 and result["height"] == 5
    assert result["name"] == "pic.png"


async def test_private_url_input_fails_at_once_with_a_clear_message(client, worker, origin):
    async with worker(["assets"]):
        handle = await client.submit("file.inspect", {}, [{"url": origin.url("/hello")}])
        with pytest.raises(JobFailed, match="127.0.0.1, a loopback address") as caught:
            await handle.result(timeout=60)
    status = caught.value.status
    assert status.error.type == "BadInput" and not status.error.retryable
    assert status.attempts == 1  # no pointless retries
    assert origin.requests == []

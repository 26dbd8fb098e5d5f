"""`mediamill retry QUEUE JOB_ID` looks for the job in QUEUE, not wherever it happens to be."""

from __future__ import annotations

import pytest

from mediamill.cli.jobs import retry_command
from mediamill.client import AsyncClient
from mediamill.errors import Conflict, NotFound


async def test_retry_honours_the_queue(settings, tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("hello\n")
    async with AsyncClient(settings) as client:
        handle = await client.submit("file.inspect", {}, [source])  # waits in `assets`: no worker runs
    with pytest.raises(NotFound, match="in queue 'images'"):
        await retry_command(settings, "images", handle.id, as_json=True)
    with pytest.raises(NotFound, match="unknown queue 'nope'"):
        await retry_command(settings, "nope", handle.id, as_json=True)
    # In its own queue it is found, and refused for the right reason: it has not failed.
    with pytest.raises(Conflict, match="only failed jobs"):
        await retry_command(settings, "assets", handle.id, as_json=True)

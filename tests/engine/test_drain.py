"""Deploy-safe: `mediamill drain` pauses the queues and returns once their active jobs are done;
`pause --all` / `resume --all` act on every queue."""

from __future__ import annotations

import asyncio

import pytest
from helpers import read_events, until_event

from mediamill.cli.jobs import drain_command, pause_command
from mediamill.errors import BadInput, WaitTimedOut


async def test_drain_waits_for_active_jobs_and_takes_nothing_new(client, worker, settings, tmp_path, capsys):
    log = tmp_path / "events.log"
    async with worker(["enginetest"]):
        running = await client.submit("enginetest.work_thread", {"log": str(log), "seconds": 1.5})
        await until_event(log, "start")

        with pytest.raises(WaitTimedOut, match="still active"):
            await drain_command(settings, ["enginetest"], 0.1, as_json=True)
        await drain_command(settings, ["enginetest"], 60, as_json=True)
        # It returned only when the running job had finished; the queue is left paused
        assert (await running.status()).state == "completed"
        assert await client.broker.queue("enginetest").isPaused()

        later = await client.submit("enginetest.work_thread", {"log": str(log)})
        await asyncio.sleep(1.0)
        assert (await later.status()).state in ("waiting", "paused")

        await pause_command(settings, None, False, as_json=True)  # resume --all
        assert (await later.wait(timeout=30)).state == "completed"
    assert [row[0] for row in read_events(log)].count("done") == 2
    capsys.readouterr()


async def test_pause_all_and_resume_all_cover_every_queue(client, settings, capsys):
    await pause_command(settings, None, True, as_json=True)
    names = list(settings.policies())
    assert all([await client.broker.queue(name).isPaused() for name in names])
    await pause_command(settings, None, False, as_json=True)
    assert not any([await client.broker.queue(name).isPaused() for name in names])
    capsys.readouterr()


def test_the_cli_wants_a_queue_or_all():
    from mediamill.cli.app import _queue_names

    with pytest.raises(BadInput, match="--all"):
        _queue_names(None, False)
    with pytest.raises(BadInput, match="--all"):
        _queue_names("assets", True)
    assert _queue_names("assets", False) == ["assets"]

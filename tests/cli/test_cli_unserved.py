"""A wait with no worker on the job's queue says so on stderr instead of hanging silently."""

from __future__ import annotations

from mediamill.cli.jobs import warn_unserved
from mediamill.client import AsyncClient


async def test_warns_only_for_queues_nobody_serves(settings, worker, capsys):
    async with AsyncClient(settings) as client:
        redis = client.broker.redis
        assert await warn_unserved(redis, ["assets", "images"]) == ["assets", "images"]
        err = capsys.readouterr().err
        assert "no worker serves queue 'assets'" in err and "mediamill worker --queues assets" in err
        async with worker(["assets"]):
            # The worker announces itself when it starts: the queue it serves is no longer flagged.
            assert await warn_unserved(redis, ["assets", "images"]) == ["images"]
        err = capsys.readouterr().err
        assert "'assets'" not in err and "no worker serves queue 'images'" in err

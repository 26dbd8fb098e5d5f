"""Seed 001 (the BullMQ worker service): its API adds typed jobs by name (`queue.add('generate', data, opts)`)
to its own queues; mediamill's workers serve each job name with a task and the app's ids stay with the job."""

from __future__ import annotations

import pytest
from seed_helpers import seed_add

SEED_001 = {"video-generation": {"queue": "video", "tasks": {"generate": "video.compose"},
                                 "keep_fields": ["userId", "scriptId"]}}
SMALL = {"width": 270, "height": 480, "clips": [{"type": "color", "color": "#1d2b64", "duration": 1},
                                                {"type": "color", "color": "#f8cdda", "duration": 1}]}


@pytest.mark.engine_settings(seed_queues=SEED_001)
async def test_seed_001_typed_jobs_on_its_own_queue(node, settings, client, worker):
    async with worker(["video"]):
        # The README's videoQueue.add('generate', {userId, scriptId}), with what the video is made of.
        reply = await seed_add(node, settings, "video-generation", "generate",
                               {"userId": "user_1", "scriptId": "script_1", "timeline": SMALL})
        untyped = await seed_add(node, settings, "video-generation", "merge", {"userId": "user_1"})
        no_timeline = await seed_add(node, settings, "video-generation", "generate",
                                     {"userId": "user_1", "scriptId": "script_1"})
    result = reply.get("result")
    assert result is not None, reply
    assert result["downloadUrl"].startswith(settings.base_url) and result["duration"] == 2
    assert client.artifact(result["video"]["artifact"]).mime == "video/mp4"
    assert "'merge'" in untyped["failedReason"] and "generate" in untyped["failedReason"], untyped
    assert "timeline" in no_timeline["failedReason"], no_timeline

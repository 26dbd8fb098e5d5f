"""A Node BullMQ producer submits a job in mediamill's wire format; a Python worker runs it."""

from __future__ import annotations

import asyncio
import json

from helpers import both_redis
from seed_helpers import NODE_DIR, node_target


@both_redis
async def test_node_bullmq_producer_gets_the_result_of_a_python_worker(node, settings, client, worker, tmp_path):
    source = tmp_path / "note.txt"
    source.write_text("hello from node\n")
    artifact = await client.upload(source)
    target = node_target(settings)

    async with worker(["assets"]):
        proc = await asyncio.create_subprocess_exec(node, str(NODE_DIR / "submit_inspect.mjs"), target, artifact.id,
                                                    cwd=NODE_DIR, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE)
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, stderr.decode()
    reply = json.loads(stdout)
    assert reply["result"]["mime"] == "text/plain"
    assert reply["result"]["size"] == 16 and reply["result"]["preview"] == "hello"
    # The Python side sees the same job: its status and result.
    status = await client.job(reply["id"]).status()
    assert status.state == "completed" and status.task == "file.inspect"
    assert status.result == reply["result"]

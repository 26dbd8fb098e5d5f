"""Node in the engine tests: the `node` fixture, the Redis it reaches, and the seeds' own producers
(Node's bullmq adds a payload, as a seed's README writes it, to the seed's own queue name and prefix)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from mediamill.engine.connection import redis_url

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


@pytest.fixture
def node() -> str:
    executable = shutil.which("node")
    if executable is None:
        pytest.skip("node is not installed")
    if not (NODE_DIR / "node_modules" / "bullmq").is_dir():
        pytest.skip(f"npm packages missing: run `npm ci` in {NODE_DIR}")
    return executable


def node_target(settings) -> str:
    """The Redis the Node scripts connect to: a unix socket path or a redis:// URL."""
    url = redis_url(settings)
    return url.removeprefix("unix://") if url.startswith("unix://") else url


async def seed_add(node: str, settings, queue: str, name: str, data: dict, prefix: str = "bull") -> dict:
    """`{id, result}` or `{id, failedReason}` of one job added by Node's bullmq.

    `{"$buffer": "<base64>"}` anywhere in `data` becomes a Node Buffer, as a seed's producer has it.
    """
    proc = await asyncio.create_subprocess_exec(node, str(NODE_DIR / "seed_add.mjs"), node_target(settings), prefix, queue, name,
                                                json.dumps(data), cwd=NODE_DIR, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 300)
    assert proc.returncode == 0, stderr.decode()
    return json.loads(stdout)

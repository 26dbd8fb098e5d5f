"""The start-up Redis check against real servers: the embedded one passes; an evicting, unpersisted
private redis-server is refused (memory limit) or warned about (no limit, no persistence)."""

from __future__ import annotations

import subprocess
import time

import pytest
import redis.asyncio as aioredis

from mediamill.engine.connection import redis_url
from mediamill.engine.redis_checks import check_redis, inspect_redis
from mediamill.engine.redis_server import redis_executable
from mediamill.errors import ConfigError


async def test_embedded_redis_passes_clean(settings):
    client = aioredis.from_url(redis_url(settings), decode_responses=True)
    try:
        report = await check_redis(client, where="test")
    finally:
        await client.aclose()
    assert report.errors == [] and report.warnings == []
    assert tuple(int(p) for p in report.version.split(".")[:2]) >= (6, 2)


@pytest.fixture
def careless_redis(tmp_path):
    """A private redis-server (the embedded one's binary) evicting under a memory limit, unpersisted."""
    sock = tmp_path / "careless.sock"
    proc = subprocess.Popen([redis_executable(), "--port", "0", "--unixsocket", str(sock), "--save", "",
                             "--appendonly", "no", "--maxmemory", "1gb", "--maxmemory-policy", "allkeys-lru",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not sock.exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise AssertionError("the test redis-server did not start")
        time.sleep(0.02)
    yield f"unix://{sock}"
    proc.terminate()
    proc.wait(10)


async def test_evicting_policy_is_an_error_and_no_persistence_a_warning(careless_redis):
    client = aioredis.from_url(careless_redis, decode_responses=True)
    try:
        with pytest.raises(ConfigError, match="noeviction"):
            await check_redis(client, where="test")
        # Without a memory limit nothing is evicted yet: warnings only, the worker may start
        await client.config_set("maxmemory", "0")
        report = await inspect_redis(client)
        assert report.errors == []
        assert any("noeviction" in w for w in report.warnings)
        assert any("persistence is off" in w for w in report.warnings)
    finally:
        await client.aclose()

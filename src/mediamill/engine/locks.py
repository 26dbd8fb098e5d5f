"""A small Redis lock (SET NX PX + compare-and-delete) for short critical sections across processes."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator

from mediamill.errors import WaitTimedOut

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


@contextlib.asynccontextmanager
async def redis_lock(redis, key: str, ttl_ms: int = 30_000, wait_s: float = 60.0) -> AsyncIterator[None]:
    token = secrets.token_hex(8)
    delay, waited = 0.002, 0.0
    while not await redis.set(key, token, nx=True, px=ttl_ms):
        if waited > wait_s:
            raise WaitTimedOut(f"could not take lock {key} within {wait_s} s")
        await asyncio.sleep(delay)
        waited += delay
        delay = min(delay * 2, 0.05)
    try:
        yield
    finally:
        await redis.eval(_RELEASE, 1, key, token)

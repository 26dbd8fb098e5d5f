"""A per-recipient-domain send limit: at most N messages per domain in a sliding window.

Kept per worker process (with the queue's concurrency of 10 on one machine that is the whole
picture; several worker machines each get the limit). Waiting happens here, not through a retry:
a rate-limited message is not a failure and must not spend one of its attempts.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable


class DomainRateLimiter:
    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window_s, self._clock = limit, window_s, clock
        self._sent: dict[str, deque[float]] = defaultdict(deque)

    def wait_time(self, domains: Iterable[str]) -> float:
        """Seconds until every domain has room for one more message (0 = now)."""
        now, wait = self._clock(), 0.0
        for domain in domains:
            times = self._sent[domain]
            while times and times[0] <= now - self.window_s:
                times.popleft()
            if len(times) >= self.limit:
                wait = max(wait, times[0] + self.window_s - now)
        return wait

    async def acquire(self, domains: Iterable[str], check: Callable[[], None]) -> float:
        """Wait for room, then count one message for each domain; `check` raises on cancel or timeout."""
        domains, waited = sorted(set(domains)), 0.0
        # No lock: nothing awaits between the last check and the count, so on one event loop the
        # two are atomic, and a message for another domain never queues behind a throttled one.
        while (wait := self.wait_time(domains)) > 0:
            check()
            await asyncio.sleep(min(wait, 1.0))
            waited += min(wait, 1.0)
        now = self._clock()
        for domain in domains:
            self._sent[domain].append(now)
        return waited


_limiters: dict[tuple[int, float], DomainRateLimiter] = {}


def limiter_for(limit: int, window_s: float) -> DomainRateLimiter:
    key = (limit, window_s)
    if key not in _limiters:
        _limiters[key] = DomainRateLimiter(limit, window_s)
    return _limiters[key]

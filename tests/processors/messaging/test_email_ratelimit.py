"""The per-recipient-domain limit: a full domain waits for its window, other domains do not."""

from __future__ import annotations

from mediamill.processors.messaging.ratelimit import DomainRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_domain_at_its_limit_waits_until_the_oldest_send_leaves_the_window():
    clock = Clock()
    limiter = DomainRateLimiter(limit=2, window_s=60, clock=clock)
    limiter._sent["example.com"].extend([1000.0, 1010.0])
    assert limiter.wait_time(["example.com"]) == 60
    assert limiter.wait_time(["example.org"]) == 0
    assert limiter.wait_time(["example.org", "example.com"]) == 60  # a message to both waits for both
    clock.now = 1061.0
    assert limiter.wait_time(["example.com"]) == 0  # the first send aged out


async def test_acquire_sleeps_only_for_the_full_domain():
    limiter = DomainRateLimiter(limit=1, window_s=0.3)
    await limiter.acquire(["a.example"], check=lambda: None)
    waited_other = await limiter.acquire(["b.example"], check=lambda: None)
    waited_same = await limiter.acquire(["a.example"], check=lambda: None)
    assert waited_other == 0 and waited_same > 0

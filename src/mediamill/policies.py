"""Queue policies: the defaults table merged with the overrides from settings."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mediamill import constants as C


class RateLimit(BaseModel):
    max: int = Field(gt=0, description="jobs allowed per window")
    duration_ms: int = Field(gt=0, description="window length in milliseconds")


class QueuePolicy(BaseModel):
    name: str
    concurrency: int = Field(1, ge=1)
    rate_limit: RateLimit | None = None
    attempts: int = Field(C.DEFAULT_ATTEMPTS, ge=1)
    backoff_ms: int = Field(C.DEFAULT_BACKOFF_MS, ge=0)
    timeout_s: float = Field(C.DEFAULT_TIMEOUT_S, gt=0)
    lock_duration_ms: int = Field(C.DEFAULT_LOCK_DURATION_MS, ge=1_000)
    stalled_interval_ms: int = Field(C.DEFAULT_STALLED_INTERVAL_MS, ge=1_000)
    max_stalls: int = Field(C.DEFAULT_MAX_STALLS, ge=1)
    # Resident memory ceiling of a task process on this queue (None: no ceiling); a thread task under a
    # ceiling runs in a task process (engine/memory_limits.py).
    memory_limit_mb: int | None = Field(None, ge=16)
    keep_completed_age_s: int = C.KEEP_COMPLETED["age"]
    keep_completed_count: int = C.KEEP_COMPLETED["count"]
    keep_failed_age_s: int = C.KEEP_FAILED["age"]
    keep_failed_count: int = C.KEEP_FAILED["count"]

    def job_options(self) -> dict:
        """BullMQ job options every job of this queue gets (a producer may tighten them)."""
        return {
            "attempts": self.attempts,
            "backoff": {"type": "exponential", "delay": self.backoff_ms},
            "removeOnComplete": {"age": self.keep_completed_age_s, "count": self.keep_completed_count},
            "removeOnFail": {"age": self.keep_failed_age_s, "count": self.keep_failed_count},
        }


class QueueOverride(BaseModel):
    """What `[queues.<name>]` in mediamill.toml or MEDIAMILL_QUEUES__<NAME>__<FIELD> may change."""

    concurrency: int | None = Field(None, ge=1)
    rate_limit: RateLimit | None = None
    attempts: int | None = Field(None, ge=1)
    backoff_ms: int | None = Field(None, ge=0)
    timeout_s: float | None = Field(None, gt=0)
    lock_duration_ms: int | None = Field(None, ge=1_000)
    stalled_interval_ms: int | None = Field(None, ge=1_000)
    max_stalls: int | None = Field(None, ge=1)
    memory_limit_mb: int | None = Field(None, ge=16)
    keep_completed_age_s: int | None = None
    keep_completed_count: int | None = None
    keep_failed_age_s: int | None = None
    keep_failed_count: int | None = None


def default_policies() -> dict[str, QueuePolicy]:
    policies = {}
    for name, concurrency, rate, timeout in C.QUEUE_TABLE:
        limit = RateLimit(max=rate[0], duration_ms=rate[1]) if rate else None
        policies[name] = QueuePolicy(name=name, concurrency=concurrency, rate_limit=limit, timeout_s=timeout)
    return policies


def resolve_policies(overrides: dict[str, QueueOverride]) -> dict[str, QueuePolicy]:
    """Defaults with overrides applied; an override may also declare a new queue."""
    policies = default_policies()
    for name, override in overrides.items():
        base = policies.get(name, QueuePolicy(name=name))
        changes = override.model_dump(exclude_none=True)
        policies[name] = base.model_copy(update=changes)
        if "rate_limit" in changes:
            policies[name].rate_limit = override.rate_limit
    return policies

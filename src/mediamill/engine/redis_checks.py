"""At start, check the Redis in use: version >= 6.2, maxmemory-policy noeviction, persistence on.

BullMQ needs Redis 6.2 (its scripts use newer commands) and loses jobs silently when Redis evicts
keys; without persistence a Redis restart loses every queued job. A too-old version or an evicting
policy under a memory limit is an error. A policy that cannot evict (no maxmemory) and missing
persistence are warnings: work goes on, a restart would lose the queue. Managed Redis services often
refuse CONFIG GET; then what cannot be read is reported as a warning, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.exceptions import RedisError, ResponseError

from mediamill.errors import ConfigError
from mediamill.logs import get_logger

log = get_logger("mediamill.redis")

MIN_VERSION = (6, 2)


@dataclass
class RedisReport:
    version: str = "?"
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


async def _config(redis, name: str) -> str | None:
    try:
        found = await redis.config_get(name)
    except ResponseError:  # CONFIG disabled or renamed (managed services)
        return None
    return found.get(name)


async def inspect_redis(redis) -> RedisReport:
    info = await redis.info()
    report = RedisReport(version=str(info.get("redis_version", "?")))
    # Valkey reports its own version too, and answers as a Redis of 7.2.4.
    if _version(report.version) < MIN_VERSION:
        report.errors.append(f"Redis {report.version} is too old: BullMQ needs >= 6.2")
    policy = await _config(redis, "maxmemory-policy") or info.get("maxmemory_policy")
    maxmemory = int(info.get("maxmemory", 0) or 0)
    if policy is None:
        report.warnings.append("could not read maxmemory-policy; it must be noeviction")
    elif policy != "noeviction":
        message = f"maxmemory-policy is {policy!r}: Redis may evict queued jobs; set it to noeviction"
        (report.errors if maxmemory else report.warnings).append(
            message if maxmemory else f"{message} (no maxmemory is set, so nothing is evicted yet)")
    aof = bool(info.get("aof_enabled"))
    save = await _config(redis, "save")
    if not aof and not save:
        report.warnings.append("persistence is off (no AOF, no RDB snapshots): a Redis restart loses every "
                               "queued job; enable appendonly yes")
    return report


async def check_redis(redis, *, where: str) -> RedisReport:
    """Log the warnings; raise ConfigError for the errors."""
    report = await inspect_redis(redis)
    for warning in report.warnings:
        log.warning("redis check", where=where, problem=warning, version=report.version)
    if report.errors:
        raise ConfigError("the Redis in use cannot run mediamill safely: " + "; ".join(report.errors))
    return report


async def check_redis_if_reachable(redis, *, where: str) -> RedisReport | None:
    """The same, but an unreachable Redis is only logged (the API starts; /readyz says what is wrong)."""
    try:
        return await check_redis(redis, where=where)
    except (ConnectionError, OSError, RedisError) as exc:
        log.warning("redis check skipped: Redis does not answer", where=where, error=str(exc))
        return None

"""Finish job records a killed worker left unfinished, from BullMQ's own state of each job.

A SIGKILLed worker loses the rows its records writer had not flushed yet (up to one flush interval, or
every row of a fresh worker whose database was not open yet): the job is completed in Redis, its row
stays `active` or `queued`. A sweep reads rows in an unfinished state created more than a grace period
ago and asks Redis: completed -> completed with its returnvalue; failed -> failed (or cancelled) with
its failedReason; gone from Redis -> `unknown` with a reason (never `completed` on a guess); anything
else (still waiting, active, delayed) is left alone. A completed row is final (UPDATE_ALLOWED), so a
live writer that flushes the same completion later changes nothing.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from mediamill import constants as C
from mediamill.engine.jobs import _ts, parse_failure
from mediamill.records.results import artifacts_in

if TYPE_CHECKING:
    from mediamill.db.session import Database
    from mediamill.settings import Settings

# Rows looked at per sweep: a sweep is one indexed query and one Redis pipeline of this many jobs.
SWEEP_LIMIT = 500
# A row younger than this is left to its writer (it may be flushing it right now).
GRACE_S = 60.0
LOST_REASON = ("the job is gone from Redis and its worker was stopped before it recorded the outcome; "
               "what happened to it is not known")
_FIELDS = ("returnvalue", "failedReason", "attemptsMade", "processedOn", "finishedOn")


@dataclass
class Sweep:
    looked_at: int = 0
    completed: int = 0
    failed: int = 0
    unknown: int = 0
    cursor: tuple[datetime, str] | None = None  # where the next sweep goes on (None: from the oldest)
    fixed: list[str] = field(default_factory=list)


async def _bull_states(redis: Any, settings: Settings, rows: list[Any]) -> list[dict | None]:
    """Per row: {"state": completed|failed|pending, fields...} from the first key set holding the job,
    or None when no key set holds it."""
    places = [(row, settings.bull_key_bases(row.queue)) for row in rows]
    pipe = redis.pipeline(transaction=False)
    for row, keys in places:
        for base in keys:
            pipe.exists(f"{base}:{row.id}")
            pipe.zscore(f"{base}:completed", row.id)
            pipe.zscore(f"{base}:failed", row.id)
            pipe.hmget(f"{base}:{row.id}", *_FIELDS)
    answers = iter(await pipe.execute())
    states: list[dict | None] = []
    for _, keys in places:
        found = None
        for _ in keys:
            exists, completed, failed, values = next(answers), next(answers), next(answers), next(answers)
            if found is None and exists:
                state = "completed" if completed is not None else "failed" if failed is not None else "pending"
                found = {"state": state, **dict(zip(_FIELDS, values, strict=True))}
        states.append(found)
    return states


def _finished_row(row: Any, bull: dict | None, now: datetime) -> dict | None:
    """The columns that finish this row, or None while the job is not final in Redis."""
    if bull is None:
        return {"id": row.id, "attempts": row.attempts, "state": "unknown", "finished_at": now,
                "error": {"type": "OutcomeUnknown", "message": LOST_REASON}}
    if bull["state"] == "pending":
        return None
    attempts = max(int(row.attempts or 0), int(bull["attemptsMade"] or 0))
    fields = {"id": row.id, "attempts": attempts, "finished_at": _ts(bull["finishedOn"]) or now}
    if bull["processedOn"]:
        fields["started_at"] = _ts(bull["processedOn"])
    if bull["state"] == "completed":
        fields.update(state="completed", progress=100.0, error=None, result=_result(bull["returnvalue"]))
        return fields
    failure = parse_failure(bull["failedReason"])
    details = failure.model_dump() if failure else {"type": "Error", "message": bull["failedReason"] or ""}
    fields.update(state="cancelled" if details.get("type") == "Cancelled" else "failed", error=details)
    return fields


def _result(raw: str | None) -> Any:
    """BullMQ keeps the return value as JSON; a producer that wrote anything else keeps its text."""
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


async def sweep(redis: Any, database: Database, settings: Settings, *, grace_s: float = GRACE_S,
                limit: int = SWEEP_LIMIT, after: tuple[datetime, str] | None = None) -> Sweep:
    """One bounded pass: finish up to `limit` stale unfinished rows that are final (or gone) in Redis."""
    from mediamill.db.repositories import artifacts as artifact_records
    from mediamill.db.repositories import jobs as job_records

    now = datetime.now(UTC)

    def read() -> list[Any]:
        with database.session() as session:
            return job_records.unfinished_before(session, now - timedelta(seconds=grace_s), after=after, limit=limit)

    rows = await asyncio.to_thread(read)
    result = Sweep(looked_at=len(rows), cursor=(rows[-1].created_at, rows[-1].id) if len(rows) == limit else None)
    if not rows:
        return result
    finished = [fields for row, bull in zip(rows, await _bull_states(redis, settings, rows), strict=True)
                if (fields := _finished_row(row, bull, now)) is not None]
    if not finished:
        return result
    made = [artifact for fields in finished if fields["state"] == "completed"
            for artifact in artifacts_in(fields["result"], fields["id"])]

    def write() -> None:
        with database.session() as session:
            job_records.upsert_many(session, finished)
            artifact_records.record(session, made)

    await asyncio.to_thread(write)
    for fields in finished:
        counter = {"cancelled": "failed"}.get(fields["state"], fields["state"])
        setattr(result, counter, getattr(result, counter) + 1)
        result.fixed.append(fields["id"])
    return result


async def claim_sweep(redis: Any, interval_s: float, holder: str) -> bool:
    """True for the one worker that sweeps this interval (the lock expires by itself: no release)."""
    return bool(await redis.set(C.RECORDS_RECONCILE_KEY, holder, nx=True, px=max(int(interval_s * 1000), 1)))

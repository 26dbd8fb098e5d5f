"""Job history over the records (it outlives BullMQ's retention): search, count, throughput, bulk actions.

A filter is plain data so that an edge can keep it in a URL: `JobFilter.parse(query)` reads it back,
`JobFilter.query()` writes it, and every function here takes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from mediamill.db.models.jobs import JOB_STATES
from mediamill.db.repositories import jobs as job_records
from mediamill.errors import BadInput, Conflict, MediamillError, NotFound
from mediamill.services.context import Services
from mediamill.services.jobs import cancel_job, retry_job

# One bulk action touches at most this many jobs: more is a filter too wide to be a deliberate act.
BULK_LIMIT = 1000
BULK_ACTIONS = ("retry", "cancel", "delete")
MAX_TEXT = 200


@dataclass(frozen=True)
class JobFilter:
    id: str | None = None
    task: str | None = None
    queue: str | None = None
    status: str | None = None
    run: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> JobFilter:
        """From URL query values; BadInput naming the field for a bad status or time."""
        values = {f.name: (query.get(f.name) or "").strip() or None for f in fields(cls)}
        if values["status"] and values["status"] not in JOB_STATES:
            raise BadInput(f"unknown status {values['status']!r}; one of {', '.join(JOB_STATES)}", field="status")
        if values["text"] and len(values["text"]) > MAX_TEXT:
            raise BadInput(f"search text longer than {MAX_TEXT} characters", field="text")
        for name in ("since", "until"):
            values[name] = _parse_time(values[name], name)
        return cls(**values)

    def query(self, **extra: object) -> str:
        """The filter as a URL query string (empty fields left out), plus `extra` (page...)."""
        # vars(), not asdict(): the fields are flat, and asdict deep-copies each (the jobs page asks twice).
        items = {k: (v.strftime("%Y-%m-%dT%H:%M") if isinstance(v, datetime) else v)
                 for k, v in {**vars(self), **extra}.items()}
        return urlencode({k: v for k, v in items.items() if v not in (None, "")})

    def as_kwargs(self) -> dict:
        return {"job_id": self.id, "task": self.task, "queue": self.queue, "state": self.status, "run": self.run,
                "since": self.since, "until": self.until, "text": self.text}

    @property
    def empty(self) -> bool:
        return not any(vars(self).values())


def _parse_time(value: str | None, field: str) -> datetime | None:
    """ISO 8601 (a browser's datetime-local sends 2026-12-01T08:30); a time without zone is UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{field}: {value[:40]!r} is not a date/time like 2026-12-01T08:30", field=field) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def search_jobs(services: Services, job_filter: JobFilter, *, limit: int = 50, offset: int = 0) -> dict:
    """One page of matching jobs, newest first, as light rows (job_records.LIST_COLUMNS: no params or
    result), and how many match in all (sync: call from a thread)."""
    with services.database.session() as session:
        rows, total = job_records.list_page(session, limit=limit, offset=offset, **job_filter.as_kwargs())
    return {"jobs": rows, "total": total}


def count_jobs(services: Services, job_filter: JobFilter) -> int:
    with services.database.session() as session:
        return job_records.count(session, **job_filter.as_kwargs())


def throughput(services: Services, minutes: int = 60, now: datetime | None = None) -> dict[str, list[int]]:
    """Jobs completed and failed in each of the last `minutes` minutes, oldest first (sync)."""
    now = now or datetime.now(UTC)
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=minutes - 1)
    series = {"completed": [0] * minutes, "failed": [0] * minutes}
    with services.database.session() as session:
        rows = job_records.finished_since(session, start)
    for state, finished_at in rows:
        index = int((finished_at - start).total_seconds() // 60)
        if state in series and 0 <= index < minutes:
            series[state][index] += 1
    return series


async def delete_job(services: Services, job_id: str) -> None:
    """Remove a job from BullMQ (unless it runs) and its record; NotFound when neither has it."""
    try:
        await services.broker.remove(job_id)
        in_broker = True
    except NotFound:
        in_broker = False
    removed = await asyncio.to_thread(_remove_record, services, job_id)
    if not in_broker and not removed:
        raise NotFound(f"no job {job_id!r}", field="job")


def _remove_record(services: Services, job_id: str) -> bool:
    with services.database.session() as session:
        return job_records.remove(session, job_id)


async def bulk_apply(services: Services, job_filter: JobFilter, action: str, expected: int) -> dict:
    """Apply `action` to every job the filter matches, if they are still the `expected` count the user
    saw (Conflict otherwise: the set changed since). Returns how many were done and why others were not."""
    if action not in BULK_ACTIONS:
        raise BadInput(f"unknown bulk action {action!r}; one of {', '.join(BULK_ACTIONS)}", field="action")
    if job_filter.empty:
        raise BadInput("a bulk action needs a filter (an empty filter would match every job)", field="filter")
    count = await asyncio.to_thread(count_jobs, services, job_filter)
    if count != expected:
        raise Conflict(f"the filter now matches {count} jobs, not the {expected} you confirmed: "
                       "review the count again", field="expected")
    if count > BULK_LIMIT:
        raise BadInput(f"{count} jobs match; a bulk action takes at most {BULK_LIMIT}: narrow the filter",
                       field="filter")
    ids = await asyncio.to_thread(_matching_ids, services, job_filter)
    act = {"retry": retry_job, "cancel": cancel_job, "delete": delete_job}[action]
    done, skipped = [], []
    for job_id, _state in ids:
        try:
            await act(services, job_id)
            done.append(job_id)
        except MediamillError as exc:  # one job that cannot be acted on must not stop the others
            skipped.append({"id": job_id, "reason": exc.message})
    return {"action": action, "matched": count, "done": len(done), "skipped": skipped}


def _matching_ids(services: Services, job_filter: JobFilter) -> list[tuple[str, str]]:
    with services.database.session() as session:
        return job_records.matching_ids(session, limit=BULK_LIMIT, **job_filter.as_kwargs())

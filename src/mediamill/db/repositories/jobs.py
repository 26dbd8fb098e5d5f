"""Job records: create on submit or first sight, batch-update from workers, read for status and lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mediamill.db.base import utcnow
from mediamill.db.models.jobs import JobRecord
from mediamill.db.upsert import insert_ignore, upsert

REQUIRED_DEFAULTS = {"queue": "", "task": "", "state": "queued", "progress": 0.0, "attempts": 0,
                     "max_attempts": 1, "params": {}, "inputs": []}


def _complete(row: dict) -> dict:
    now = utcnow()
    return {**REQUIRED_DEFAULTS, "created_at": now, **row, "updated_at": now}


def create_if_absent(session: Session, row: dict) -> None:
    """A new job row; a no-op if a worker recorded the job first (it may already be running)."""
    create_many_if_absent(session, [row])


def create_many_if_absent(session: Session, rows: list[dict]) -> None:
    # One column set per statement: rows are completed with the same defaults.
    insert_ignore(session, JobRecord.__table__, [_complete(row) for row in rows])


# Facts about a job that never change once recorded (a first-sight row from a worker carries them too).
INSERT_ONLY = frozenset({"queue", "task", "run", "step", "params", "inputs", "notify_url", "created_at"})


def _not_older(table: Any, excluded: Any) -> Any:
    # A late write about an earlier attempt (another worker's, flushed late) must not undo a newer one.
    return table.c.attempts <= excluded.attempts


def upsert_many(session: Session, rows: list[dict]) -> None:
    """Insert or update jobs in one statement per column set; every row carries the job's identity."""
    now = utcnow()
    upsert(session, JobRecord.__table__, [{**row, "updated_at": now} for row in rows],
           defaults={**REQUIRED_DEFAULTS, "created_at": now}, insert_only=INSERT_ONLY, where=_not_older)


def get(session: Session, job_id: str) -> JobRecord | None:
    return session.get(JobRecord, job_id)


def set_fields(session: Session, job_id: str, **fields: Any) -> None:
    session.execute(update(JobRecord).where(JobRecord.id == job_id).values(**fields, updated_at=utcnow()))


def list_recent(session: Session, *, state: str | None = None, task: str | None = None, run: str | None = None,
                limit: int = 50, before: str | None = None) -> list[JobRecord]:
    """Newest first; job ids are time-ordered, so `before=<id>` pages backwards."""
    query = select(JobRecord).order_by(JobRecord.created_at.desc(), JobRecord.id.desc()).limit(limit)
    if state:
        query = query.where(JobRecord.state == state)
    if task:
        query = query.where(JobRecord.task == task)
    if run:
        query = query.where(JobRecord.run == run)
    if before:
        query = query.where(JobRecord.id < before)
    return list(session.scalars(query))

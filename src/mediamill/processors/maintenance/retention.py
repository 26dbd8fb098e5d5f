"""The cleanup kinds that work on the records database: expired share links, orphaned derivatives, and
raw analytics events, finished job/run records and email records past their retention.

Each kind is idempotent (a second run finds nothing left), bounded (at most `limit` items per run, in
chunks of CHUNK rows, so no transaction holds a table for long), and reports counts; `more` says the
bound was reached and the next run carries on. With dry_run each counts what it would remove.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from mediamill.db.models.analytics import AnalyticsEvent
from mediamill.db.models.jobs import JobRecord
from mediamill.db.models.messaging import EmailMessage
from mediamill.db.models.pipelines import PipelineRun, RunStep
from mediamill.db.models.webhooks import WebhookDelivery
from mediamill.db.repositories import artifacts as artifact_records
from mediamill.db.repositories import shares
from mediamill.db.session import Database
from mediamill.processors.maintenance.expired import Tally
from mediamill.processors.maintenance.removal import remove_artifacts
from mediamill.storage.artifact import utcnow
from mediamill.storage.base import ArtifactStore

CHUNK = 500
# The end states of jobs and of pipeline runs (the same words in both): only finished work is forgotten.
FINAL_STATES = ("completed", "failed", "cancelled")


@dataclass
class Removal:
    counts: dict[str, int] = field(default_factory=dict)
    before: datetime | None = None
    more: bool = False

    def add(self, name: str, count: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + count

    def as_dict(self) -> dict:
        out: dict[str, Any] = dict(self.counts)
        if self.before is not None:
            out["before"] = self.before.isoformat().replace("+00:00", "Z")
        out["more"] = self.more
        return out


def _in_chunks(database: Database, limit: int, removal: Removal, pick: Callable[[Any, int], list],
               remove: Callable[[Any, list], None], check: Callable[[], None]) -> None:
    """pick(session, n) -> up to n ids; remove(session, ids). Until nothing is left or `limit` ids went."""
    done = 0
    while done < limit:
        with database.session() as session:
            ids = pick(session, min(CHUNK, limit - done))
            if not ids:
                return
            remove(session, ids)
        done += len(ids)
        check()
    removal.more = True


def expired_links(database: Database, limit: int, dry_run: bool, check: Callable[[], None]) -> dict:
    """EXPIRED_LINKS: links past their expiry still marked active are deactivated (reason "expired")."""
    removal = Removal(counts={"links": 0})
    now = utcnow()
    if dry_run:
        with database.session() as session:
            removal.add("links", len(shares.expired_active(session, now, limit)))
        return removal.as_dict()

    def remove(session, ids: list) -> None:
        removal.add("links", shares.deactivate(session, ids, "expired"))

    _in_chunks(database, limit, removal, lambda s, n: shares.expired_active(s, now, n), remove, check)
    return removal.as_dict()


def old_variants(database: Database, store: ArtifactStore, limit: int, dry_run: bool,
                 check: Callable[[], None]) -> dict:
    """OLD_VARIANTS: derivatives whose source artifact is gone (deleted, expired) go too; removing one
    may orphan its own derivatives, which the same run (or the next) takes.

    A source with no record may still be in the store (a fetched URL input, a seed producer's
    fileKey): those are asked of the store, and their derivatives stay."""
    tally = Tally()
    alive: set[str] = set()

    def pick(session, n: int) -> list:
        while True:  # each round either finds real orphans or learns at least one live source
            rows = artifact_records.orphaned(session, n, except_sources=alive)
            live = {row.source for row in rows if store.exists(row.source)}
            if not live:
                return rows
            alive.update(live)

    if dry_run:
        with database.session() as session:
            rows = pick(session, limit)
        tally.records, tally.bytes = len(rows), sum(row.size for row in rows)
        return {**tally.as_dict(), "more": len(rows) >= limit}
    removal = Removal()

    def remove(session, ids: list) -> None:
        remove_artifacts(store, session, ids, tally, reason="artifact deleted")

    _in_chunks(database, limit, removal, lambda s, n: [row.id for row in pick(s, n)], remove, check)
    return {**tally.as_dict(), "more": removal.more}


def _older_than(database: Database, limit: int, dry_run: bool, check: Callable[[], None], *, name: str,
                model: Any, stamp: Any, days: float, extra: tuple = ()) -> dict:
    """Rows of `model` whose `stamp` is older than `days` (and match `extra`), deleted by primary key."""
    removal = Removal(counts={name: 0}, before=utcnow() - timedelta(days=days))
    where = (stamp < removal.before, *extra)
    if dry_run:
        with database.session() as session:
            found = session.scalar(select(func.count()).select_from(
                select(model.id).where(*where).limit(limit).subquery())) or 0
        removal.add(name, found)
        removal.more = found >= limit
        return removal.as_dict()

    def pick(session, n: int) -> list:
        return list(session.scalars(select(model.id).where(*where).order_by(stamp).limit(n)))

    def remove(session, ids: list) -> None:
        session.execute(delete(model).where(model.id.in_(ids)))
        removal.add(name, len(ids))

    _in_chunks(database, limit, removal, pick, remove, check)
    return removal.as_dict()


def old_analytics(database: Database, limit: int, dry_run: bool, check: Callable[[], None], days: float) -> dict:
    """OLD_ANALYTICS: raw events older than the retention; the daily rollups stay (they were counted at write)."""
    return _older_than(database, limit, dry_run, check, name="events", model=AnalyticsEvent,
                       stamp=AnalyticsEvent.occurred_at, days=days)


def old_emails(database: Database, limit: int, dry_run: bool, check: Callable[[], None], days: float) -> dict:
    """Email records older than the retention (their idempotency keys are long past any retry)."""
    return _older_than(database, limit, dry_run, check, name="emails", model=EmailMessage,
                       stamp=EmailMessage.created_at, days=days)


def old_records(database: Database, limit: int, dry_run: bool, check: Callable[[], None], days: float) -> dict:
    """Finished job records (with their webhook deliveries) and finished pipeline runs (with their steps)
    older than the retention. A job of a run that has not finished stays with its run."""
    open_runs = select(PipelineRun.id).where(PipelineRun.state.not_in(FINAL_STATES))
    jobs = _older_than(database, limit, dry_run, check, name="jobs", model=JobRecord, stamp=JobRecord.finished_at,
                       days=days, extra=(JobRecord.state.in_(FINAL_STATES),
                                         (JobRecord.run.is_(None)) | JobRecord.run.not_in(open_runs)))
    runs = _older_than(database, limit, dry_run, check, name="runs", model=PipelineRun,
                       stamp=PipelineRun.finished_at, days=days, extra=(PipelineRun.state.in_(FINAL_STATES),))
    if not dry_run:
        with database.session() as session:  # what belonged to rows now gone
            gone_jobs = select(WebhookDelivery.id).where(WebhookDelivery.job.not_in(select(JobRecord.id))).limit(limit)
            deliveries = session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(gone_jobs))).rowcount
            gone_runs = select(RunStep.id).where(RunStep.run.not_in(select(PipelineRun.id))).limit(limit)
            steps = session.execute(delete(RunStep).where(RunStep.id.in_(gone_runs))).rowcount
        jobs["webhook_deliveries"], runs["steps"] = deliveries or 0, steps or 0
    return {"jobs": jobs["jobs"], "runs": runs["runs"], "webhook_deliveries": jobs.get("webhook_deliveries", 0),
            "steps": runs.get("steps", 0), "before": jobs["before"], "more": jobs["more"] or runs["more"]}

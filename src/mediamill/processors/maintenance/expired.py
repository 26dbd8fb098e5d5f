"""Deleting expired artifacts: their bytes and metadata from the store, their rows from the records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mediamill.errors import NotFound
from mediamill.settings import Settings
from mediamill.storage.artifact import utcnow
from mediamill.storage.base import ArtifactStore
from mediamill.tasks import TaskContext

RECORD_BATCH = 500


@dataclass
class Tally:
    artifacts: int = 0  # deleted from the store
    bytes: int = 0
    records: int = 0  # rows deleted from the records database
    missing: int = 0  # expired rows whose bytes were already gone
    links: int = 0  # share links deactivated with their artifact

    def as_dict(self) -> dict:
        return {"artifacts": self.artifacts, "bytes": self.bytes, "records": self.records, "missing": self.missing,
                "links": self.links}


def delete_from_store(store: ArtifactStore, artifact_id: str, tally: Tally) -> None:
    try:
        artifact = store.stat(artifact_id)
        store.delete(artifact_id)
    except NotFound:
        tally.missing += 1
        return
    tally.artifacts += 1
    tally.bytes += artifact.size


def purge_records(ctx: TaskContext, tally: Tally, limit: int, dry_run: bool = False) -> None:
    """Expired rows first (an indexed query): delete each one's bytes, then the rows, in batches."""
    database = records_database(ctx)
    if database is None:
        return
    from mediamill.db.repositories import artifacts as records
    from mediamill.processors.maintenance.removal import remove_artifacts

    now = utcnow()
    if dry_run:
        with database.session() as session:
            rows = records.expired(session, now, limit=limit)
        tally.records, tally.bytes = len(rows), sum(row.size for row in rows)
        return
    while tally.records < limit:
        with database.session() as session:
            ids = [row.id for row in records.expired(session, now, limit=min(RECORD_BATCH, limit - tally.records))]
            if not ids:
                return
            remove_artifacts(ctx.store, session, ids, tally, reason="artifact expired")
        ctx.check()


def purge_store(ctx: TaskContext, tally: Tally, limit: int, dry_run: bool = False) -> None:
    """Expired artifacts the records do not know (fetched inputs, other producers): a full store scan."""
    now = utcnow()
    # Ids first, deletions after: never delete from a listing while iterating it.
    expired = [a for a in ctx.store.iter_artifacts() if a.expires_at is not None and a.expires_at <= now]
    if dry_run:
        tally.artifacts = min(len(expired), limit)
        tally.bytes = max(tally.bytes, sum(a.size for a in expired[:limit]))
        return
    batch = [a.id for a in expired[: max(0, limit - tally.artifacts)]]
    for done, artifact_id in enumerate(batch, start=1):
        ctx.check()
        delete_from_store(ctx.store, artifact_id, tally)
        ctx.progress(30 + 50 * done / len(batch), "store")


def data_dir_of(ctx: TaskContext) -> Path:
    # The runner (and mediamill.testing) put every job's scratch dir at <data dir>/scratch/<job>.
    return ctx.scratch.parent.parent


def records_database(ctx: TaskContext):  # -> Database | None
    """The records database of the worker running this job, or None where there is none (yet).

    The worker's settings (or, when called bare, settings rebuilt for the data dir this job runs in).
    A SQLite file that does not exist is never created.
    """
    settings = getattr(ctx, "settings", None) or Settings(data_dir=data_dir_of(ctx))
    if settings.database_url is None and not (settings.resolved_data_dir / "mediamill.db").exists():
        return None
    try:
        from mediamill.db import open_database
    except ImportError:
        return None
    return open_database(settings)

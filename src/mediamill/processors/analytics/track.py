"""The `analytics.track` task: one job carries one event (the seed's shape), a batch, or a stored batch.

A batch is one INSERT executemany plus one rollup upsert in one transaction, keyed by the job id:
a retried job finds its batch written and writes nothing twice (the counts stay exact).

POST /v1/events stores its batch once, as a JSON artifact that is the job's input (`stored` = how
many events): the events stay out of the job's data and record, which would otherwise hold them
twice more (BullMQ's hash and the job row). The task deletes that artifact once the batch is in.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from mediamill.db import open_database
from mediamill.db.repositories import analytics as records
from mediamill.db.repositories.analytics import EventRows
from mediamill.errors import BadInput, NotFound
from mediamill.processors.analytics.events import MAX_BATCH, check_events, decode_events
from mediamill.settings import Settings, get_settings
from mediamill.tasks import TaskContext, task


class TrackParams(BaseModel):
    """Either the seed's single event (type, assetId, userId, data, timestamp), `events: [...]`, or
    `stored` with the batch as the job's input (what POST /v1/events sends)."""

    model_config = ConfigDict(extra="forbid")
    events: list[dict] = Field(default_factory=list, max_length=MAX_BATCH,
                               description="events: type (ASSET_VIEW, ASSET_DOWNLOAD, ASSET_SHARE, SEARCH, "
                                           "ACTIVITY), assetId, userId, data, timestamp (ISO 8601; default now)")
    stored: int = Field(0, ge=0, le=MAX_BATCH, description="the batch is the job's one input (a JSON artifact "
                        "of this many events), as POST /v1/events stores it")
    _rows: EventRows | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _single_event(cls, raw: object) -> object:
        if isinstance(raw, dict) and "events" not in raw and "stored" not in raw and "type" in raw:
            return {"events": [raw]}
        return raw

    @model_validator(mode="after")
    def _checked(self) -> TrackParams:
        if self.stored and self.events:
            raise ValueError("give events or a stored batch, not both")
        if not self.stored:
            try:
                self._rows = check_events(self.events, datetime.now(UTC))
            except BadInput as exc:
                raise ValueError(exc.message) from None
        return self

    def rows(self) -> EventRows:
        """The checked rows of the inline events (a stored batch is read by the task)."""
        assert self._rows is not None
        return self._rows


@task("analytics.track", queue="analytics", inputs=(0, 1))
async def track(ctx: TaskContext, params: TrackParams) -> dict:
    """Record analytics events (one or a batch) and add them to the daily rollups, once per job."""
    settings: Settings = ctx.settings or get_settings()
    if params.stored and not ctx.inputs:
        raise BadInput("stored: the batch must be the job's input", field="inputs")
    load = (lambda: stored_rows(ctx)) if params.stored else params.rows
    count, written = await asyncio.to_thread(_ingest, open_database(settings), ctx.job.job_id, load)
    if params.stored:
        await asyncio.to_thread(forget_stored, ctx)
    return {"events": count or params.stored, "written": written}


def stored_rows(ctx: TaskContext) -> EventRows:
    """The stored batch's events, checked again (an artifact input may come from anywhere) by the
    same compiled check as at the edge, ~1 us an event."""
    with open(ctx.path(ctx.input(0)), "rb") as handle:
        raw = handle.read()
    try:
        return decode_events(raw, datetime.now(UTC))
    except BadInput as exc:
        raise BadInput(f"the stored batch: {exc.message}", field="inputs") from None


def _ingest(database, batch: str, load) -> tuple[int, bool]:
    """(events, written): nothing is read or written again for a batch already in."""
    with database.session() as session:
        if records.batch_written(session, batch):
            return 0, False
    rows = load()
    with database.session() as session:
        return len(rows), records.write_batch(session, batch, rows)


def forget_stored(ctx: TaskContext) -> None:
    """Drop the stored batch once it is written (its expiry is the fallback)."""
    try:
        ctx.store.delete(ctx.input(0).id)
    except NotFound:
        pass

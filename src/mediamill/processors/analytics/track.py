"""The `analytics.track` task: one job carries one event (the seed's shape) or a batch of many.

A batch is one INSERT executemany plus one rollup upsert in one transaction, keyed by the job id:
a retried job finds its batch written and writes nothing twice (the counts stay exact).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field, field_validator, model_validator

from mediamill.db import open_database
from mediamill.db.models.analytics import EventType
from mediamill.db.repositories import analytics as records
from mediamill.settings import Settings, get_settings
from mediamill.tasks import TaskContext, task
from mediamill.tasks.naming import SEED_NAMES

# Clocks disagree a little; an event stamped further ahead than this is a bug at the producer.
MAX_FUTURE = timedelta(minutes=5)
MAX_BATCH = 10_000


class Event(BaseModel):
    model_config = SEED_NAMES
    type: EventType
    asset_id: str | None = Field(None, max_length=128)
    user_id: str | None = Field(None, max_length=128)
    data: dict = Field(default_factory=dict)
    timestamp: datetime | None = Field(None, description="when it happened (ISO 8601); default: now")

    @field_validator("timestamp")
    @classmethod
    def _not_in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        if value > datetime.now(UTC) + MAX_FUTURE:
            raise ValueError(f"{value.isoformat()} is in the future (more than {MAX_FUTURE} ahead)")
        return value.astimezone(UTC)

    def row(self, now: datetime) -> dict:
        return {"type": self.type.value, "asset_id": self.asset_id, "user_id": self.user_id, "data": self.data,
                "occurred_at": self.timestamp or now, "created_at": now}


class TrackParams(BaseModel):
    """Either the seed's single event (type, assetId, userId, data, timestamp) or `events: [...]`."""

    model_config = SEED_NAMES
    events: list[Event] = Field(default_factory=list, max_length=MAX_BATCH)

    @model_validator(mode="before")
    @classmethod
    def _single_event(cls, raw: object) -> object:
        if isinstance(raw, dict) and "events" not in raw and "type" in raw:
            return {"events": [raw]}
        return raw

    @model_validator(mode="after")
    def _some(self) -> TrackParams:
        if not self.events:
            raise ValueError("give an event (type, ...) or a non-empty events list")
        return self


@task("analytics.track", queue="analytics", inputs=(0, 0))
async def track(ctx: TaskContext, params: TrackParams) -> dict:
    """Record analytics events (one or a batch) and add them to the daily rollups, once per job."""
    settings: Settings = ctx.settings or get_settings()
    now = datetime.now(UTC)
    rows = [event.row(now) for event in params.events]
    written = await asyncio.to_thread(_write, open_database(settings), ctx.job.job_id, rows)
    return {"events": len(rows), "written": written}


def _write(database, batch: str, rows: list[dict]) -> bool:
    with database.session() as session:
        return records.write_batch(session, batch, rows)

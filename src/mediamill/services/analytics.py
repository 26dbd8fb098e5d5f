"""Analytics use cases: take a batch of events (one job), and read the daily rollups back."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from mediamill.db.models.analytics import EventType
from mediamill.db.repositories import analytics as records
from mediamill.db.repositories.analytics import EventRows
from mediamill.engine.wire import JobRequest
from mediamill.errors import BadInput
from mediamill.processors.analytics.events import check_events, decode_events
from mediamill.services.context import Services
from mediamill.services.jobs import submit_job

# A stored batch is deleted by its job once written; this expiry only catches a job that never ran.
STORED_BATCH_TTL = timedelta(days=2)


def is_batch(raw: bytes) -> bool:
    """Whether a body reads as `{"events": ...}`, to be checked from its bytes (body None below)."""
    return raw.lstrip()[:9] == b'{"events"'


async def submit_events(services: Services, body: object, raw: bytes | None = None) -> dict:
    """`{"events": [...]}` (or one event) -> one analytics.track job, checked here (BadInput naming
    the field); `body` None: the batch is `raw`, not parsed. A batch is stored once (`raw`, the request's own bytes, when given) as the job's
    input; the job carries only the reference, not the events."""
    if body is None and raw is not None:  # a batch (is_batch): checked from its bytes, not parsed to dicts
        return await _submit_batch(services, raw, await asyncio.to_thread(decode_events, raw, datetime.now(UTC)))
    if not isinstance(body, dict):
        raise BadInput("the body must be a JSON object: {\"events\": [...]}", field="events")
    if "events" not in body:  # one event in the seed's shape: small, it travels in the params
        view = await submit_job(services, {"task": "analytics.track", "params": body})
        return {"job": view["id"], "accepted": 1, "links": view["links"]}
    if set(body) != {"events"}:
        extra = sorted(set(body) - {"events"})[0]
        raise BadInput(f"{extra}: unknown field (the body is {{\"events\": [...]}})", field=extra)
    rows = await asyncio.to_thread(check_events, body["events"], datetime.now(UTC))
    return await _submit_batch(services, raw if raw is not None else json.dumps(body).encode(), rows)


async def _submit_batch(services: Services, payload: bytes, rows: EventRows) -> dict:
    artifact = await asyncio.to_thread(services.store.put, payload, name="events.json", mime="application/json",
                                       expires_at=rows.created_at + STORED_BATCH_TTL)
    view = await submit_job(services, JobRequest(task="analytics.track", params={"stored": len(rows)},
                                                 inputs=[artifact.id]))
    return {"job": view["id"], "accepted": len(rows), "links": view["links"]}


async def record_download(services: Services, artifact_id: str, range_header: str | None) -> None:
    """ASSET_DOWNLOAD for a signed download, when `analytics.track_downloads` is on. A range request
    that does not start at byte 0 is the same download seeking or resuming: not counted again."""
    if not services.settings.analytics.track_downloads:
        return
    if range_header and not range_header.replace(" ", "").startswith("bytes=0-"):
        return
    event = {"type": EventType.ASSET_DOWNLOAD.value, "assetId": artifact_id, "data": {"via": "signed-link"}}
    await submit_job(services, {"task": "analytics.track", "params": event})


def _kind(value: str) -> str:
    try:
        return EventType(value).value
    except ValueError:
        known = ", ".join(t.value for t in EventType)
        raise BadInput(f"unknown event type {value!r}; known: {known}", field="type") from None


def _since(days: int):
    return (datetime.now(UTC) - timedelta(days=days - 1)).date()


def top_assets(services: Services, *, kind: str, days: int, limit: int) -> dict:
    with services.database.session() as session:
        rows = records.top_assets(session, _kind(kind), _since(days), limit)
    return {"type": kind, "days": days, "data": rows}


def over_time(services: Services, *, kind: str, days: int, asset_id: str | None) -> dict:
    with services.database.session() as session:
        rows = records.per_day(session, _kind(kind), _since(days), asset_id)
    return {"type": kind, "days": days, "assetId": asset_id, "data": rows}


def searches(services: Services, *, days: int, limit: int) -> dict:
    """Searches per day (rollups) and the most asked queries (raw events of the period)."""
    since = _since(days)
    with services.database.session() as session:
        per_day = records.per_day(session, EventType.SEARCH.value, since)
        raw = records.search_events(session, datetime.combine(since, datetime.min.time(), UTC), 50_000)
    counts: dict[str, int] = {}
    for event in raw:
        query = str(event["data"].get("query", "")).strip().lower()
        if query:
            counts[query] = counts.get(query, 0) + 1
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return {"days": days, "perDay": per_day, "topQueries": [{"query": q, "count": n} for q, n in top]}

"""Analytics records: a batch of events and its rollups in one transaction, once per batch; the queries."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from mediamill.db.models.analytics import AnalyticsDaily, AnalyticsEvent
from mediamill.db.upsert import insert_for

EVENTS = AnalyticsEvent.__table__
DAILY = AnalyticsDaily.__table__


def write_batch(session: Session, batch: str, events: list[dict]) -> bool:
    """Insert the events (one executemany) and add them to the daily rollups; False when `batch`
    was written before (a retried job), in which case nothing is written again."""
    if session.scalar(select(EVENTS.c.id).where(EVENTS.c.batch == batch).limit(1)) is not None:
        return False
    session.execute(insert(EVENTS), [{**event, "batch": batch} for event in events])
    counts = Counter((e["occurred_at"].date(), e["type"], e.get("asset_id") or "", e.get("user_id") or "")
                     for e in events)
    rows = [{"day": day, "type": kind, "asset_id": asset, "user_id": user, "count": n}
            for (day, kind, asset, user), n in counts.items()]
    statement = insert_for(session, DAILY)
    statement = statement.on_conflict_do_update(
        index_elements=[c.name for c in DAILY.primary_key.columns],
        set_={"count": DAILY.c.count + statement.excluded["count"]})
    session.execute(statement, rows)
    return True


def top_assets(session: Session, kind: str, since: date, limit: int) -> list[dict]:
    total = func.sum(DAILY.c.count).label("count")
    query = (select(DAILY.c.asset_id, total).where(DAILY.c.type == kind, DAILY.c.day >= since, DAILY.c.asset_id != "")
             .group_by(DAILY.c.asset_id).order_by(total.desc(), DAILY.c.asset_id).limit(limit))
    return [{"assetId": asset, "count": int(count)} for asset, count in session.execute(query)]


def per_day(session: Session, kind: str, since: date, asset_id: str | None = None) -> list[dict]:
    total = func.sum(DAILY.c.count).label("count")
    query = select(DAILY.c.day, total).where(DAILY.c.type == kind, DAILY.c.day >= since)
    if asset_id:
        query = query.where(DAILY.c.asset_id == asset_id)
    query = query.group_by(DAILY.c.day).order_by(DAILY.c.day)
    return [{"day": day.isoformat(), "count": int(count)} for day, count in session.execute(query)]


def search_events(session: Session, since: datetime, limit: int) -> list[dict]:
    """Raw SEARCH events since a time (their `data.query`), newest first."""
    query = (select(EVENTS.c.data, EVENTS.c.user_id, EVENTS.c.occurred_at)
             .where(EVENTS.c.type == "SEARCH", EVENTS.c.occurred_at >= since)
             .order_by(EVENTS.c.occurred_at.desc()).limit(limit))
    return [{"data": data or {}, "userId": user, "occurredAt": at} for data, user, at in session.execute(query)]


def count_events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(EVENTS)) or 0

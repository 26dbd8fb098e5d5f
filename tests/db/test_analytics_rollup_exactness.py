"""The daily rollups equal a count of the raw events, batch after batch, and a batch that fails before
its commit leaves neither events nor counts behind (its retry counts once)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mediamill.db import open_database
from mediamill.db.repositories import analytics as records
from mediamill.db.testing import on_each_database
from mediamill.processors.analytics.events import check_events

settings = pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.external)],
                          name="settings")(on_each_database)

NOW = datetime.now(UTC)
MIDNIGHT = datetime.combine(NOW.date(), datetime.min.time(), UTC)


def batch(offset: int) -> list[dict]:
    """Repeated keys, missing ids, both sides of a UTC midnight and a non-UTC offset."""
    stamps = [MIDNIGHT - timedelta(microseconds=1), MIDNIGHT, MIDNIGHT - timedelta(days=2, hours=3),
              (MIDNIGHT + timedelta(hours=1)).replace(tzinfo=None).isoformat() + "+02:00"]  # yesterday in UTC
    events = []
    for i in range(60):
        stamp = stamps[(i + offset) % len(stamps)]
        events.append({"type": ("ASSET_VIEW", "SEARCH", "ACTIVITY")[i % 3],
                       "assetId": None if i % 7 == 0 else f"ast_{i % 4}",
                       "userId": None if i % 5 == 0 else f"usr_{(i + offset) % 3}",
                       "data": {"i": i}, "timestamp": stamp if isinstance(stamp, str) else stamp.isoformat()})
    return events


def rollups(session) -> dict:
    table = records.DAILY
    return {(day, kind, asset, user): n for day, kind, asset, user, n in session.execute(
        select(table.c.day, table.c.type, table.c.asset_id, table.c.user_id, table.c.count))}


def counted_from_events(session) -> Counter:
    table = records.EVENTS
    return Counter((when.date(), kind, asset or "", user or "") for kind, asset, user, when in session.execute(
        select(table.c.type, table.c.asset_id, table.c.user_id, table.c.occurred_at)))


def test_rollups_are_the_count_of_the_raw_events(settings):
    database = open_database(settings)
    for n in range(4):
        with database.session() as session:
            assert records.write_batch(session, f"job_{n}", check_events(batch(n), NOW)) is True
    with database.session() as session:
        assert records.write_batch(session, "job_1", check_events(batch(1), NOW)) is False  # a retry
    with database.session() as session:
        counts = rollups(session)
        assert counts == dict(counted_from_events(session))
        assert sum(counts.values()) == 4 * 60
        assert len({key[0] for key in counts}) == 3  # yesterday's last microsecond, today, two days before


def test_a_batch_that_fails_before_its_commit_leaves_nothing_and_its_retry_counts_once(settings):
    database = open_database(settings)
    with database.session() as session:
        records.write_batch(session, "job_before", check_events(batch(0), NOW))
    # The process dies after the events and rollups were written but before the commit.
    with pytest.raises(SystemExit), database.session() as session:
        records.write_batch(session, "job_crash", check_events(batch(1), NOW))
        raise SystemExit
    with database.session() as session:
        assert sum(rollups(session).values()) == 60 and records.count_events(session) == 60
    with database.session() as session:
        assert records.write_batch(session, "job_crash", check_events(batch(1), NOW)) is True
    with database.session() as session:
        counts = rollups(session)
        assert counts == dict(counted_from_events(session)) and sum(counts.values()) == 120

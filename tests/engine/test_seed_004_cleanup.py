"""Seed 004's CleanupJob added by Node's bullmq as the seed writes it (`{type, data}`), on the seed's own
queue name: the kind runs on a cleanup worker; an unknown type fails at once, naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from seed_helpers import seed_add

from mediamill.db import open_database
from mediamill.db.models.shares import ShareLink

SEED_CLEANUP = {"cleanup-tasks": {"queue": "cleanup", "task": "storage.cleanup"}}


@pytest.mark.engine_settings(seed_queues=SEED_CLEANUP)
async def test_seed_004_cleanup_job_as_written(node, settings, worker):
    now = datetime.now(UTC)
    with open_database(settings).session() as session:
        session.add_all([ShareLink(id=f"shr_{name}", artifact_id="art_0000000000000000000000",
                                   token_hash=name.ljust(64, "0"), expires_at=now + delta, downloads=0)
                         for name, delta in (("old", -timedelta(days=1)), ("fresh", timedelta(days=1)))])
    async with worker(["cleanup"]):
        links = await seed_add(node, settings, "cleanup-tasks", "__default__", {"type": "EXPIRED_LINKS"})
        events = await seed_add(node, settings, "cleanup-tasks", "__default__",
                                {"type": "OLD_ANALYTICS", "data": {"analytics_retention_days": 30}})
        unknown = await seed_add(node, settings, "cleanup-tasks", "__default__", {"type": "OLD_SESSIONS"})
    assert links.get("result") == {"expired_links": {"links": 1, "more": False}}, links
    assert events.get("result", {}).get("old_analytics", {}).get("events") == 0, events
    with open_database(settings).session() as session:
        assert session.get(ShareLink, "shr_old").deactivated_reason == "expired"
        assert session.get(ShareLink, "shr_fresh").deactivated_at is None
    assert "type 'OLD_SESSIONS' is not a cleanup kind" in unknown["failedReason"], unknown

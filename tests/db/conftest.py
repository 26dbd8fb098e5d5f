"""Database fixtures: every records test runs on SQLite, and on PostgreSQL where one is reachable (CI)."""

from __future__ import annotations

import pytest

from mediamill.db.session import drop_cached
from mediamill.db.testing import postgres_unreachable_reason, throwaway_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.external)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'records.db'}"
        yield url
        drop_cached(url)
        return
    reason = postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    with throwaway_postgres() as url:
        yield url


@pytest.fixture
def db_settings(settings, db_url):
    return settings.model_copy(update={"database_url": db_url})

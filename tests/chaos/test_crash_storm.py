"""Never fail a job because a worker died: a storm of SIGKILLs and a hard Redis restart lose nothing.

Correctness only; the drain time against a calm run is a timing figure: `bench/chaos.py` prints it."""

from __future__ import annotations

import pytest
from storm import crash_storm

from mediamill.engine.connection import release_embedded
from mediamill.settings import Settings


@pytest.fixture
def settings(data_dir):
    yield Settings(data_dir=data_dir, log_format="json", log_level="warning",
                   queues={"enginetest": {"concurrency": 1}})
    release_embedded(Settings(data_dir=data_dir))


async def _storm(settings, tmp_path, **kw):
    result = await crash_storm(settings, tmp_path, **kw)
    print(result.line())
    assert result.lost == 0, result.errors
    assert result.failed == 0, result.errors
    assert result.failed_by_deaths == 0, result.errors
    assert result.recorded_twice == 0, result.line()
    assert result.unrecorded == 0, result.line()
    assert result.swept >= result.unrecorded_before_sweep, result.line()
    return result


async def test_short_crash_storm(settings, tmp_path):
    await _storm(settings, tmp_path, workers=3, jobs=30, seconds=0.3, kill_every_s=3, timeout=120)


@pytest.mark.external
async def test_short_crash_storm_with_records_on_postgresql(settings, tmp_path):
    from mediamill.db.testing import postgres_unreachable_reason, throwaway_postgres

    if reason := postgres_unreachable_reason():
        pytest.skip(reason)
    with throwaway_postgres() as url:
        await _storm(settings.model_copy(update={"database_url": url}), tmp_path, workers=3, jobs=30, seconds=0.3,
                     kill_every_s=3, timeout=120)


@pytest.mark.slow
async def test_long_crash_storm(settings, tmp_path):
    await _storm(settings, tmp_path, workers=3, jobs=150, seconds=0.6, kill_every_s=3, timeout=900)

"""Pipeline fixtures: the test tasks, settings with roomy queues, a coordinator on the test's data dir."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pipeline_test_tasks  # noqa: E402,F401 - registers the test.* tasks

from mediamill.db.session import close_database  # noqa: E402
from mediamill.settings import Settings  # noqa: E402


@pytest.fixture
def settings(data_dir):
    queues = {name: {"backoff_ms": 50} for name in Settings().policies()}
    queues["analytics"] = {"backoff_ms": 50, "concurrency": 20}
    value = Settings(data_dir=data_dir, log_format="json", log_level="warning", shutdown_grace_s=5, queues=queues)
    yield value
    close_database(value)
    from mediamill.engine.connection import release_embedded

    release_embedded(value)


@pytest.fixture
async def coordinator(settings):
    from mediamill.pipelines.coordinator import Coordinator

    value = Coordinator(settings)
    yield value
    await value.close()

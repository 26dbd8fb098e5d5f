"""Shared fixtures: a private data dir with its own embedded Redis, a real worker, a real client."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mediamill.composition import install_tasks
from mediamill.engine.connection import release_embedded
from mediamill.settings import Settings

# Tests never read a developer's mediamill.toml or environment.
for key in [k for k in os.environ if k.startswith("MEDIAMILL_")]:
    del os.environ[key]
os.environ["MEDIAMILL_CONFIG"] = "/nonexistent/mediamill.toml"
# What every mediamill entry point does first: tell the task registry where the tasks live.
install_tasks(Settings())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """Settings on a fresh data dir: embedded Redis, SQLite, local storage; fast retries."""
    yield Settings(data_dir=data_dir, log_format="json", log_level="warning", shutdown_grace_s=5,
                   queues={name: {"backoff_ms": 100} for name in Settings().policies()})
    release_embedded(Settings(data_dir=data_dir))


@pytest.fixture
def spans():
    """Spans of `mediamill.engine.tracing` go to an in-memory exporter (the SDK's) for the test."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from mediamill.engine import tracing

    exporter = InMemorySpanExporter()
    sdk = TracerProvider()
    sdk.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.provider = sdk  # not the global provider: FastAPI would then trace every later test's requests
    yield exporter
    tracing.provider = None
    sdk.shutdown()


@pytest.fixture
async def client(settings: Settings):
    from mediamill.client import AsyncClient

    async with AsyncClient(settings) as c:
        yield c


@pytest.fixture
def worker(settings: Settings):
    """Factory: `async with worker(["assets"]) as w:` runs an in-process worker on those queues."""
    from mediamill.testing import running_worker

    def factory(queues: list[str] | None = None, **kw):
        return running_worker(kw.pop("settings", settings), queues, **kw)

    return factory


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    path = tmp_path / "media"
    path.mkdir()
    return path

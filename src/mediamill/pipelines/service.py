"""Pipeline use cases shared by the CLI and the API: start a run from a name, list runs, catalog."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mediamill.db.models.pipelines import PipelineRun
from mediamill.db.session import open_database
from mediamill.errors import BadInput
from mediamill.pipelines.catalog import get_pipeline
from mediamill.pipelines.coordinator import Coordinator
from mediamill.pipelines.runs import RunStatus
from mediamill.settings import Settings
from mediamill.storage import open_store


async def start_named_run(coordinator: Coordinator, name: str, inputs: dict[str, Any],
                          params: dict[str, Any]) -> RunStatus:
    spec = await asyncio.to_thread(get_pipeline, coordinator.settings, name)
    return await coordinator.start(spec, inputs, params)


def store_file_input(settings: Settings, path: Path) -> dict:
    if not path.is_file():
        raise BadInput(f"no such file: {path}", field="inputs")
    artifact = open_store(settings).put(path, name=path.name, max_bytes=settings.limits.max_upload_bytes)
    return artifact.ref()


def recent_runs(settings: Settings, limit: int = 20) -> list[dict]:
    with open_database(settings).session() as session:
        rows = session.scalars(select(PipelineRun).order_by(PipelineRun.created_at.desc()).limit(limit))
        return [{"id": r.id, "pipeline": r.pipeline, "state": r.state, "created_at": r.created_at,
                 "finished_at": r.finished_at, "error": (r.error or {}).get("message")} for r in rows]

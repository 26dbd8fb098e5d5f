"""Pipeline use cases shared by the CLI and the API: start a run from a name, list runs, catalog."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from mediamill.db.models.pipelines import PipelineRun
from mediamill.db.session import open_database
from mediamill.pipelines.catalog import get_pipeline
from mediamill.pipelines.coordinator import Coordinator
from mediamill.pipelines.runs import RunStatus
from mediamill.settings import Settings


async def start_named_run(coordinator: Coordinator, name: str, inputs: dict[str, Any],
                          params: dict[str, Any]) -> RunStatus:
    spec = await asyncio.to_thread(get_pipeline, coordinator.settings, name)
    return await coordinator.start(spec, inputs, params)


def recent_runs(settings: Settings, limit: int = 20) -> list[dict]:
    with open_database(settings).session() as session:
        rows = session.scalars(select(PipelineRun).order_by(PipelineRun.created_at.desc()).limit(limit))
        return [{"id": r.id, "pipeline": r.pipeline, "state": r.state, "created_at": r.created_at,
                 "finished_at": r.finished_at, "error": (r.error or {}).get("message")} for r in rows]

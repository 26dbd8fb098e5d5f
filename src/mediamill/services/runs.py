"""Pipeline run use cases for the edges: list, read (with the DAG's edges), cancel, rerun from failed."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from mediamill.db.models.pipelines import PipelineRun
from mediamill.errors import BadInput
from mediamill.pipelines.coordinator import Coordinator
from mediamill.pipelines.runs import RunStatus
from mediamill.pipelines.spec import parse_spec
from mediamill.pipelines.validate import validate_spec
from mediamill.services.context import Services


def coordinator(services: Services) -> Coordinator:
    return Coordinator(services.settings, broker=services.broker)


def list_runs(services: Services, *, limit: int = 50, offset: int = 0, state: str | None = None) -> dict:
    """A page of runs, newest first, and how many there are (sync: call from a thread)."""
    with services.database.session() as session:
        query = select(PipelineRun)
        total = select(func.count()).select_from(PipelineRun)
        if state:
            query, total = query.where(PipelineRun.state == state), total.where(PipelineRun.state == state)
        rows = session.scalars(query.order_by(PipelineRun.created_at.desc()).limit(limit).offset(offset))
        runs = [{"id": r.id, "pipeline": r.pipeline, "state": r.state, "progress": r.progress,
                 "created_at": r.created_at, "finished_at": r.finished_at,
                 "error": (r.error or {}).get("message")} for r in rows]
        return {"runs": runs, "total": session.scalar(total) or 0}


async def run_with_graph(services: Services, run_id: str) -> tuple[RunStatus, dict[str, list[str]]]:
    """The run's status and its DAG: step -> the steps it waits for (from the spec the run started with)."""
    status = await coordinator(services).status(run_id)
    spec = await asyncio.to_thread(_spec_of, services, run_id)
    try:
        plan = validate_spec(parse_spec(spec), require_tasks=False)
    except BadInput:  # a spec that no longer validates still has its steps: draw them unlinked
        return status, {step.name: [] for step in status.steps}
    return status, {name: sorted(deps) for name, deps in plan.deps.items()}


def _spec_of(services: Services, run_id: str) -> dict:
    with services.database.session() as session:
        run = session.get(PipelineRun, run_id)
        return dict(run.spec) if run else {}


async def cancel_run(services: Services, run_id: str) -> RunStatus:
    return await coordinator(services).cancel(run_id)


async def rerun(services: Services, run_id: str) -> RunStatus:
    """Restart a failed or cancelled run from its unfinished steps, reusing completed outputs."""
    return await coordinator(services).rerun(run_id)

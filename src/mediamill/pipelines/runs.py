"""Run records in the database: create, load with steps, update; and the public run status shape."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediamill.db.models.pipelines import FINAL_STEP_STATES, PipelineRun, RunStep
from mediamill.errors import NotFound
from mediamill.pipelines.transitions import Failure, RunState, RunView, StepRow, StepState
from mediamill.pipelines.validate import Plan


def new_run_id() -> str:
    return f"run_{int(time.time() * 1000):x}{uuid.uuid4().hex[:10]}"


def step_job_id(run_id: str, step: str, item: int, generation: int) -> str:
    suffix = "" if item < 0 else f".{item}"
    return f"{run_id}.{step}{suffix}.g{generation}"


def create_run(session: Session, plan: Plan, inputs: dict, params: dict) -> PipelineRun:
    run = PipelineRun(id=new_run_id(), pipeline=plan.spec.name, spec=plan.spec.model_dump(mode="json"),
                      inputs=inputs, params=params, state="running", progress=0.0, generation=0)
    session.add(run)
    for name in plan.order:
        session.add(RunStep(run=run.id, step=name, item=-1, task=plan.spec.steps[name].task, state="pending",
                            attempts=0, progress=0.0))
    return run


def load_run(session: Session, run_id: str, *, lock: bool = False) -> tuple[PipelineRun, list[RunStep]]:
    query = select(PipelineRun).where(PipelineRun.id == run_id)
    if lock and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    run = session.scalars(query).first()
    if run is None:
        raise NotFound(f"no run {run_id!r}", field="run")
    rows = list(session.scalars(select(RunStep).where(RunStep.run == run_id).order_by(RunStep.id)))
    return run, rows


def view_of(run: PipelineRun, rows: list[RunStep]) -> RunView:
    """The run's rows as the pure transitions see them."""
    steps = tuple(
        StepRow(step=r.step, item=r.item, state=StepState(r.state), job_id=r.job_id, attempts=r.attempts or 0,
                progress=r.progress or 0.0, result=r.result, error=Failure.from_dict(r.error),
                items_total=r.items_total, started_at=r.started_at, finished_at=r.finished_at)
        for r in rows
    )
    return RunView(state=RunState(run.state), steps=steps, generation=run.generation,
                   error=Failure.from_dict(run.error), progress=run.progress or 0.0, finished_at=run.finished_at)


def _columns(row: StepRow | RunView) -> dict[str, Any]:
    names = ("state", "progress", "error", "finished_at") + (
        ("job_id", "attempts", "result", "items_total", "started_at") if isinstance(row, StepRow) else ("generation",))
    values = {name: getattr(row, name) for name in names}
    values["state"] = row.state.value
    values["error"] = row.error.as_dict() if row.error else None
    return values


def write_view(session: Session, run: PipelineRun, rows: list[RunStep], before: RunView, after: RunView) -> None:
    """Write what changed from `before` to `after` onto the run's rows: update, add, delete.

    Only changed columns are written, so a stored error keeps any detail the view does not model.
    """
    by_key = {(r.step, r.item): r for r in rows}
    old = {r.key: r for r in before.steps}
    for new in after.steps:
        prior = old.pop(new.key, None)
        if prior is None:
            task = by_key[(new.step, -1)].task
            session.add(RunStep(run=run.id, step=new.step, item=new.item, task=task, **_columns(new)))
        elif prior != new:
            _assign(by_key[new.key], _columns(prior), _columns(new))
    for key in old:
        session.delete(by_key[key])
    _assign(run, _columns(before), _columns(after))


def _assign(target: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    for name, value in after.items():
        if before[name] != value:
            setattr(target, name, value)


class StepStatus(BaseModel):
    name: str
    task: str
    state: str
    progress: float
    attempts: int
    job_id: str | None = None
    items_total: int | None = None
    items_done: int | None = None
    current: str | None = None
    result: Any = None
    error: dict | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None


class RunStatus(BaseModel):
    id: str
    pipeline: str
    state: str
    progress: float
    current_steps: list[str]
    steps: list[StepStatus]
    params: dict
    inputs: dict
    outputs: dict | None = None
    error: dict | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None


def _duration(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds(), 3) if start and end else None


def step_progress(row: RunStep, children: list[RunStep]) -> float:
    if row.state in FINAL_STEP_STATES:
        return 100.0
    if children:
        return sum(100.0 if c.state in FINAL_STEP_STATES else c.progress for c in children) / len(children)
    return row.progress


def run_status(run: PipelineRun, rows: list[RunStep]) -> RunStatus:
    steps = []
    for row in (r for r in rows if r.item < 0):
        children = [r for r in rows if r.step == row.step and r.item >= 0]
        done = sum(1 for c in children if c.state in FINAL_STEP_STATES)
        steps.append(StepStatus(
            name=row.step, task=row.task, state=row.state, progress=round(step_progress(row, children), 1),
            attempts=row.attempts or sum(c.attempts for c in children), job_id=row.job_id,
            items_total=row.items_total, items_done=done if row.items_total is not None else None,
            result=row.result, error=row.error, started_at=row.started_at, finished_at=row.finished_at,
            duration_s=_duration(row.started_at, row.finished_at),
        ))
    progress = sum(s.progress for s in steps) / len(steps) if steps else 0.0
    if run.state == "completed":
        progress = 100.0
    return RunStatus(
        id=run.id, pipeline=run.pipeline, state=run.state, progress=round(progress, 1),
        current_steps=[s.name for s in steps if s.state in ("queued", "active")], steps=steps,
        params=run.params, inputs=run.inputs, outputs=run.outputs, error=run.error,
        created_at=run.created_at, started_at=run.started_at or run.created_at, finished_at=run.finished_at,
        duration_s=_duration(run.started_at or run.created_at, run.finished_at),
    )

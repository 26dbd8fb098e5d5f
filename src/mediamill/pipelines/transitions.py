"""The coordinator's decisions as pure functions: no Redis, no database, no clock (`now` comes in).

A run is seen as a `RunView`: the run's state and one frozen `StepRow` per step (item -1) and per
item of a fan-out step (item >= 0). Every function takes a view and returns a new one plus what
the caller must do outside: which jobs to enqueue, which to cancel, whether the run just ended.
The coordinator (pipelines/coordinator.py) reads the view from its rows under the run's lock,
calls these functions, writes the differences back in the same transaction and dispatches.

Starting a step needs the spec's expressions and the broker's job builder, so `decide` takes a
`start` callback that reports what starting one step came to (`Skip`, `Enqueue`, `FanOut` or
`Unstartable`); the decisions about it stay here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from mediamill.errors import Conflict


class StepState(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    ACTIVE = "active"  # never stored: status reads merge it live from BullMQ
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in _FINAL_STEP


class RunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (RunState.COMPLETED, RunState.FAILED, RunState.CANCELLED)


_FINAL_STEP = frozenset({StepState.COMPLETED, StepState.FAILED, StepState.SKIPPED, StepState.CANCELLED})


class Failure(NamedTuple):
    """Why a step or a run did not complete, as stored: {"type": ..., "message": ...}."""

    type: str
    message: str

    def as_dict(self) -> dict:
        return {"type": self.type, "message": self.message}

    @classmethod
    def of(cls, error: BaseException) -> Failure:
        # A TaskFailure stands for a foreign error type and carries its name in `kind`.
        return cls(getattr(error, "kind", None) or type(error).__name__, str(error))

    @classmethod
    def from_dict(cls, data: Mapping | None) -> Failure | None:
        if not data:
            return None
        return cls(str(data.get("type") or "Error"), str(data.get("message") or ""))


UPSTREAM_FAILED = Failure("UpstreamFailed", "a step it depends on did not complete")
RUN_CANCELLED = Failure("Cancelled", "the run was cancelled")


@dataclass(frozen=True)
class StepRow:
    step: str
    item: int = -1  # -1: the step itself; >= 0: one item of a fan-out (foreach) step
    state: StepState = StepState.PENDING
    job_id: str | None = None
    attempts: int = 0
    progress: float = 0.0
    result: Any = None
    error: Failure | None = None
    items_total: int | None = None  # set on a fan-out step once its items are known
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def key(self) -> tuple[str, int]:
        return self.step, self.item

    @property
    def blocks(self) -> bool:
        """Its dependents can never run: it failed, was cancelled, or was skipped for a failure."""
        return self.state in (StepState.FAILED, StepState.CANCELLED) or (
            self.state == StepState.SKIPPED and self.error is not None)

    @property
    def waits_on_job(self) -> bool:
        """Recorded as waiting for a BullMQ job of its own (a fan-out step waits on its items' rows)."""
        fan_out_parent = self.item < 0 and self.items_total is not None
        return self.state in (StepState.QUEUED, StepState.ACTIVE) and bool(self.job_id) and not fan_out_parent


@dataclass(frozen=True)
class RunView:
    state: RunState
    steps: tuple[StepRow, ...]
    generation: int = 0
    error: Failure | None = None
    progress: float = 0.0
    finished_at: datetime | None = None

    def row(self, step: str, item: int = -1) -> StepRow | None:
        return next((r for r in self.steps if r.step == step and r.item == item), None)

    def parents(self) -> dict[str, StepRow]:
        return {r.step: r for r in self.steps if r.item < 0}

    def items(self, step: str) -> list[StepRow]:
        return sorted((r for r in self.steps if r.step == step and r.item >= 0), key=lambda r: r.item)

    def replaced(self, changed: Iterable[StepRow]) -> RunView:
        """This view with rows replaced by key; rows with a new key are appended."""
        updates = {r.key: r for r in changed}
        steps = [updates.pop(r.key, r) for r in self.steps]
        return dataclasses.replace(self, steps=(*steps, *updates.values()))


@dataclass(frozen=True)
class Graph:
    """What the decisions need of a validated plan."""

    order: tuple[str, ...]  # a topological order of the steps
    deps: Mapping[str, frozenset[str]]  # step -> the steps it waits for (data and `after`)
    fail_fast: bool = True


@dataclass(frozen=True)
class Outcome:
    """A step job's final attempt, as the worker (or a repair replaying BullMQ) reports it."""

    step: str
    item: int
    job_id: str
    attempts: int
    result: Any = None
    error: Failure | None = None
    started_at: datetime | None = None


# -- what starting one step came to (reported by the caller's `start` callback) ----------------
@dataclass(frozen=True)
class Skip:
    """Its `when` condition does not hold."""


@dataclass(frozen=True)
class Enqueue:
    job_id: str


@dataclass(frozen=True)
class FanOut:
    job_ids: tuple[str, ...]  # one job per item, in item order; empty: nothing to do


@dataclass(frozen=True)
class Unstartable:
    """Its params, inputs or items could not be resolved; `where` names the step (or item)."""

    failure: Failure
    where: str


Start = Skip | Enqueue | FanOut | Unstartable
Starter = Callable[[RunView, StepRow], Start]


@dataclass(frozen=True)
class Decision:
    view: RunView
    enqueue: tuple[str, ...] = ()  # job ids to add, in order
    cancel: tuple[str, ...] = ()  # job ids to cancel
    ended: RunState | None = None  # the run's end state, when this decision ended it


# -- the transitions ------------------------------------------------------------------------
def decide(view: RunView, graph: Graph, now: datetime, start: Starter, outcome: Outcome | None = None) -> Decision:
    """One coordinator transaction: record the outcome (if any), start what became ready, finish."""
    was_running = view.state == RunState.RUNNING
    cancels: tuple[str, ...] = ()
    if outcome is not None and was_running:
        view, cancels = record_outcome(view, graph, outcome, now)
    enqueue: tuple[str, ...] = ()
    if view.state == RunState.RUNNING:
        view, enqueue, more = start_ready(view, graph, now, start)
        cancels += more
        view = finish_if_done(view, now)
    ended = view.state if was_running and view.state != RunState.RUNNING else None
    return Decision(view, enqueue, cancels, ended)


def record_outcome(view: RunView, graph: Graph, outcome: Outcome, now: datetime) -> tuple[RunView, tuple[str, ...]]:
    """The outcome written to its row (and a fan-out step's, when its last item ends).

    Returns the jobs to cancel (fail-fast). An outcome for an older generation, or one already
    recorded, changes nothing: replaying an outcome is always safe.
    """
    row = view.row(outcome.step, outcome.item)
    if row is None or row.job_id != outcome.job_id or row.state.final:
        return view, ()
    row = _finished(dataclasses.replace(row, started_at=outcome.started_at), now, outcome.attempts,
                    outcome.result, outcome.error)
    view = view.replaced([row])
    parent = row
    if outcome.item >= 0:
        parent = view.row(outcome.step)
        children = view.items(outcome.step)
        started = [c.started_at for c in children if c.started_at]
        parent = dataclasses.replace(parent, started_at=min(started) if started else None)
        if any(not c.state.final for c in children):
            return view.replaced([parent]), ()
        attempts = sum(c.attempts for c in children)
        failed = [c for c in children if c.state == StepState.FAILED]
        if failed:
            parent = _finished(parent, now, attempts, None, failed[0].error)
        else:
            parent = _finished(parent, now, attempts, [c.result for c in children], None)
        view = view.replaced([parent])
    if parent.state == StepState.FAILED and graph.fail_fast:
        message = f"step {parent.step} failed: {parent.error.message if parent.error else None}"
        return _fail_run(view, now, message)
    return view, ()


def readiness(view: RunView, graph: Graph, name: str) -> str | None:
    """"ready" for a pending step whose predecessors all ended well, "doomed" if one never can, else None."""
    if view.row(name).state != StepState.PENDING:
        return None
    deps = [view.row(d) for d in graph.deps.get(name, ())]
    if any(d.blocks for d in deps):
        return "doomed"
    if all(d.state in (StepState.COMPLETED, StepState.SKIPPED) for d in deps):
        return "ready"
    return None


def start_ready(view: RunView, graph: Graph, now: datetime,
                start: Starter) -> tuple[RunView, tuple[str, ...], tuple[str, ...]]:
    """Start every step that is ready, again and again while a step ends at once (skipped, empty).

    Returns the view, the jobs to enqueue and the jobs to cancel. A step whose predecessor can
    never complete is skipped (UpstreamFailed); none is started before all its predecessors end.
    """
    enqueue: list[str] = []
    cancels: list[str] = []
    progressed = True
    while progressed and view.state == RunState.RUNNING:
        progressed = False
        for name in graph.order:
            if view.state != RunState.RUNNING:
                break
            state = readiness(view, graph, name)
            if state == "doomed":
                row = view.row(name)
                view = view.replaced([dataclasses.replace(row, state=StepState.SKIPPED, finished_at=now,
                                                          error=UPSTREAM_FAILED)])
                progressed = True
            elif state == "ready":
                row = view.row(name)
                view, jobs, more = _start_step(view, graph, row, now, start(view, row))
                enqueue.extend(jobs)
                cancels.extend(more)
                progressed = progressed or view.row(name).state.final
    # A job decided above for a row that fail-fast then cancelled is never sent at all.
    queued = {r.job_id for r in view.steps if r.state == StepState.QUEUED}
    sent = tuple(j for j in enqueue if j in queued)
    return view, sent, tuple(j for j in cancels if j not in enqueue)


def _start_step(view: RunView, graph: Graph, row: StepRow, now: datetime,
                started: Start) -> tuple[RunView, list[str], tuple[str, ...]]:
    match started:
        case Skip():
            return view.replaced([dataclasses.replace(row, state=StepState.SKIPPED, finished_at=now,
                                                      progress=100.0)]), [], ()
        case Enqueue(job_id=job_id):
            return view.replaced([dataclasses.replace(row, state=StepState.QUEUED, job_id=job_id)]), [job_id], ()
        case FanOut(job_ids=job_ids):
            parent = dataclasses.replace(row, state=StepState.QUEUED, items_total=len(job_ids))
            if not job_ids:
                return view.replaced([_finished(parent, now, 0, [], None)]), [], ()
            items = [StepRow(step=row.step, item=index, state=StepState.QUEUED, job_id=job_id)
                     for index, job_id in enumerate(job_ids)]
            return view.replaced([parent, *items]), list(job_ids), ()
        case Unstartable(failure=failure, where=where):
            view = view.replaced([_finished(row, now, 0, None, failure)])
            if graph.fail_fast:
                view, cancels = _fail_run(view, now, f"{where}: {failure.message}")
                return view, [], cancels
            return view, [], ()
    raise TypeError(f"not a Start: {started!r}")


def finish_if_done(view: RunView, now: datetime) -> RunView:
    """A running run whose every step is final ends: failed if one failed (or was skipped for it)."""
    steps = list(view.parents().values())
    if view.state != RunState.RUNNING or any(not r.state.final for r in steps):
        return view
    failed = [r for r in steps if r.state == StepState.FAILED or (r.state == StepState.SKIPPED and r.error)]
    if failed:
        message = "; ".join(f"{r.step}: {r.error.message if r.error else None}" for r in failed)
        return dataclasses.replace(view, state=RunState.FAILED, error=Failure("StepFailed", message),
                                   finished_at=now, progress=100.0)
    return dataclasses.replace(view, state=RunState.COMPLETED, finished_at=now, progress=100.0)


def cancel_run(view: RunView, run_id: str, now: datetime) -> Decision:
    """Cancel a queued or running run: every unfinished step ends cancelled; Conflict otherwise."""
    if view.state not in (RunState.QUEUED, RunState.RUNNING):
        raise Conflict(f"run {run_id} already {view.state}; nothing to cancel", field="run")
    view = dataclasses.replace(view, state=RunState.CANCELLED, finished_at=now, error=RUN_CANCELLED)
    view, cancels = _cancel_unfinished(view, now)
    return Decision(view, (), cancels, RunState.CANCELLED)


def reset_for_rerun(view: RunView, run_id: str) -> RunView:
    """A failed or cancelled run made ready to run again from its unfinished steps, one generation on."""
    if view.state not in (RunState.FAILED, RunState.CANCELLED):
        raise Conflict(f"run {run_id} is {view.state}; only failed or cancelled runs can be rerun", field="run")
    redo = {r.step for r in view.steps if r.item < 0 and r.state != StepState.COMPLETED}
    steps = tuple(
        dataclasses.replace(r, state=StepState.PENDING, job_id=None, result=None, error=None, progress=0.0,
                            items_total=None, started_at=None, finished_at=None) if r.step in redo else r
        for r in view.steps if not (r.step in redo and r.item >= 0)
    )
    return dataclasses.replace(view, steps=steps, generation=view.generation + 1, state=RunState.RUNNING,
                               error=None, finished_at=None)


# -- repair ---------------------------------------------------------------------------------
class JobSeen(StrEnum):
    """What BullMQ says about a job a step row waits for."""

    MISSING = "missing"  # never arrived, or lost
    WAITING = "waiting"  # queued, delayed or active: nothing to repair
    FINISHED = "finished"  # ended, but the coordinator never heard of it


@dataclass(frozen=True)
class Repair:
    requeue: tuple[StepRow, ...] = ()  # enqueue again under the same job id
    replay: tuple[StepRow, ...] = ()  # replay the outcome BullMQ kept


def rows_to_check(view: RunView) -> list[StepRow]:
    """The rows whose jobs a repair must look up; none unless the run is running."""
    if view.state != RunState.RUNNING:
        return []
    return [r for r in view.steps if r.waits_on_job]


def repair_actions(view: RunView, seen: Mapping[str, JobSeen]) -> Repair:
    """Re-enqueue only queued rows whose job is missing; replay rows whose job finished unheard."""
    rows = rows_to_check(view)
    return Repair(
        requeue=tuple(r for r in rows if r.state == StepState.QUEUED and seen.get(r.job_id) == JobSeen.MISSING),
        replay=tuple(r for r in rows if seen.get(r.job_id) == JobSeen.FINISHED),
    )


# -- helpers --------------------------------------------------------------------------------
def _finished(row: StepRow, now: datetime, attempts: int, result: Any, error: Failure | None) -> StepRow:
    if error is None:
        return dataclasses.replace(row, state=StepState.COMPLETED, attempts=attempts, result=result, error=None,
                                   finished_at=now, progress=100.0)
    return dataclasses.replace(row, state=StepState.FAILED, attempts=attempts, error=error, finished_at=now,
                               progress=100.0)


def _fail_run(view: RunView, now: datetime, message: str) -> tuple[RunView, tuple[str, ...]]:
    view = dataclasses.replace(view, state=RunState.FAILED, finished_at=now, error=Failure("StepFailed", message))
    return _cancel_unfinished(view, now)


def _cancel_unfinished(view: RunView, now: datetime) -> tuple[RunView, tuple[str, ...]]:
    cancels = tuple(r.job_id for r in view.steps
                    if r.state in (StepState.QUEUED, StepState.ACTIVE) and r.job_id)
    rows = [dataclasses.replace(r, state=StepState.CANCELLED, finished_at=now)
            for r in view.steps if not r.state.final]
    return view.replaced(rows), cancels

"""The coordinator: starts runs, and after every step job decides what runs next.

Why a coordinator and not BullMQ flows: flows are trees (a job has one parent) that fix every job's
data when the flow is added, while a pipeline is a DAG whose steps need their predecessors' outputs
in their params, whose fan-out width is known only at run time, and which can be cancelled and
rerun from its failed steps. So each step is an ordinary BullMQ job (its retries, timeouts and
stalled-job recovery unchanged), and after a step's final attempt the worker calls `on_job_finished`,
which, under a per-run lock, records the outcome and enqueues the steps that became ready. Job ids
are deterministic (run.step.item.generation), so a decision replayed after a crash enqueues nothing twice.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from mediamill.db.base import utcnow
from mediamill.db.models.pipelines import FINAL_STEP_STATES, PipelineRun, RunStep
from mediamill.db.session import open_database
from mediamill.engine import constants as C
from mediamill.engine.broker import Broker
from mediamill.engine.locks import redis_lock
from mediamill.errors import BadInput, Conflict, MediamillError, NotFound, WaitTimedOut, rebuild
from mediamill.logs import get_logger
from mediamill.pipelines.expressions import ExpressionError, evaluate_condition, resolve
from mediamill.pipelines.runs import RunStatus, create_run, load_run, run_status, step_job_id
from mediamill.pipelines.scope import build_scope, inputs_from
from mediamill.pipelines.spec import PipelineSpec
from mediamill.pipelines.validate import Plan, as_reference, check_run_request, validate_spec
from mediamill.settings import Settings

log = get_logger("mediamill.pipelines")
Job = tuple[str, str, dict, dict]  # queue, task, data, options


class Coordinator:
    def __init__(self, settings: Settings, broker: Broker | None = None) -> None:
        self.settings = settings
        self.db = open_database(settings)
        self._owns_broker = broker is None
        self.broker = broker or Broker(settings)
        self._plans: dict[tuple[str, int], Plan] = {}

    # -- entry points ---------------------------------------------------------------------
    async def start(self, spec: PipelineSpec, inputs: dict[str, Any], params: dict[str, Any]) -> RunStatus:
        plan = validate_spec(spec)
        inputs, params = check_run_request(spec, inputs, params)
        run_id, jobs, ended = await asyncio.to_thread(self._create, plan, inputs, params)
        await self._dispatch(jobs, [], (run_id, ended))
        # Not merged with BullMQ: the first steps were queued a moment ago, nothing live to add.
        return await self.status(run_id, live=False)

    async def advance(self, run_id: str) -> None:
        async with redis_lock(self.broker.redis, C.run_lock_key(run_id)):
            jobs, cancels, ended = await asyncio.to_thread(self._transaction, run_id, None)
        await self._dispatch(jobs, cancels, (run_id, ended))

    async def on_job_finished(self, data: dict, job_id: str, attempts: int, result: Any,
                              error: BaseException | None, started: datetime | None = None) -> None:
        """Record a step job's final outcome and start what became ready (called by the worker).

        This is the hot path of every run: one lock, one thread hop, one transaction. A step's
        "active" state is not written when it starts; status reads merge it live from BullMQ.
        """
        run_id = data["run"]
        outcome = (data["step"], int(data.get("item", -1)), job_id, attempts, result, error, started)
        async with redis_lock(self.broker.redis, C.run_lock_key(run_id)):
            jobs, cancels, ended = await asyncio.to_thread(self._transaction, run_id, outcome)
        await self._dispatch(jobs, cancels, (run_id, ended))

    async def cancel(self, run_id: str) -> RunStatus:
        async with redis_lock(self.broker.redis, C.run_lock_key(run_id)):
            cancels = await asyncio.to_thread(self._cancel, run_id)
        await self._dispatch([], cancels, (run_id, "cancelled"))
        return await self.status(run_id)

    async def rerun(self, run_id: str) -> RunStatus:
        async with redis_lock(self.broker.redis, C.run_lock_key(run_id)):
            await asyncio.to_thread(self._reset_for_rerun, run_id)
        await self.advance(run_id)
        return await self.status(run_id)

    async def repair(self, run_id: str) -> dict[str, list[str]]:
        """Get a stuck run moving again; safe to call on any run at any time (the sweep does).

        A run stops moving when a step is recorded as queued but its job never reached BullMQ (Redis
        went away, or the process died, between the coordinator's commit and its enqueue; or Redis
        lost its last second of writes in a crash), or when a step's job ended but the coordinator
        never heard of it (the worker's hook failed). The first kind is enqueued again with the same
        deterministic job id (BullMQ ignores an add whose id exists, so nothing runs twice); the
        second kind has its outcome replayed from BullMQ.
        """
        run, rows = await asyncio.to_thread(self._read, run_id)
        repaired: dict[str, list[str]] = {"requeued": [], "replayed": []}
        if run.state != "running":
            return repaired
        missing: set[str] = set()
        for row in rows:
            if row.state not in ("queued", "active") or not row.job_id or (row.item < 0 and row.items_total is not None):
                continue  # not waiting on a job (a foreach step waits on its items' rows)
            try:
                live = await self.broker.status(row.job_id)
            except NotFound:
                missing.add(row.job_id)
                continue
            if live.state.finished:
                await self._replay(run_id, row, live)
                repaired["replayed"].append(row.job_id)
        if missing:
            async with redis_lock(self.broker.redis, C.run_lock_key(run_id)):
                jobs = await asyncio.to_thread(self._rebuild, run_id, missing)
            await self._dispatch([job for job, _ in jobs], [], (run_id, None))
            repaired["requeued"] = [job_id for _, job_id in jobs]
        if repaired["requeued"] or repaired["replayed"]:
            log.warning("pipeline run repaired", run=run_id, **repaired)
        return repaired

    async def _replay(self, run_id: str, row: RunStep, live) -> None:
        error = None
        if live.state.value != "completed":
            details = live.error
            error = rebuild(details.type if details else live.state.value,
                            details.message if details else f"the job was {live.state.value}")
        data = {"run": run_id, "step": row.step, "item": row.item}
        await self.on_job_finished(data, row.job_id, live.attempts, live.result, error, live.started_at)

    def _rebuild(self, run_id: str, job_ids: set[str]) -> list[tuple[Job, str]]:
        """The jobs of these still-queued rows, built again exactly as when they were first enqueued."""
        with self.db.session() as session:
            run, rows = load_run(session, run_id)
            plan = self._plan(run)
            by_step = {r.step: r for r in rows if r.item < 0}
            jobs = []
            for row in rows:
                if row.job_id not in job_ids or row.state != "queued":
                    continue
                step, where = plan.spec.steps[row.step], f"steps.{row.step}"
                scope = build_scope(run, by_step)
                if row.item >= 0:
                    items = resolve(step.foreach, scope)
                    scope = build_scope(run, by_step, item=items[row.item], index=row.item)
                    where = f"{where}[{row.item}]"
                job, job_id = self._prepare(run, row, step, scope, row.item, where)
                if job_id == row.job_id:  # the same generation: the job the row is waiting for
                    jobs.append((job, job_id))
            return jobs

    async def status(self, run_id: str, live: bool = True) -> RunStatus:
        run, rows = await asyncio.to_thread(self._read, run_id)
        if live:
            await self._merge_live_progress(rows)
        return run_status(run, rows)

    # -- database side (runs in a thread) --------------------------------------------------
    def _create(self, plan: Plan, inputs: dict, params: dict) -> tuple[str, list[Job], str | None]:
        """Record a new run and decide its first steps in the same transaction.

        No lock: nobody else can see the run before this commits, and its jobs go out after.
        """
        with self.db.session() as session:
            run = create_run(session, plan, inputs, params)
            run.started_at = utcnow()
            session.flush()
            _, rows = load_run(session, run.id)
            jobs = self._start_ready_steps(session, run, rows)
            self._finish_if_done(run, rows)
            return run.id, jobs, run.state if run.state != "running" else None

    def _read(self, run_id: str) -> tuple[PipelineRun, list[RunStep]]:
        with self.db.session() as session:
            return load_run(session, run_id)

    def _plan(self, run: PipelineRun) -> Plan:
        key = (run.id, run.generation)
        if key not in self._plans:
            self._plans[key] = validate_spec(PipelineSpec.model_validate(run.spec), require_tasks=False)
        return self._plans[key]

    def _transaction(self, run_id: str, outcome: tuple | None) -> tuple[list[Job], list[str], str | None]:
        """Record an outcome and decide; returns jobs to add, jobs to cancel, and the run's end state."""
        with self.db.session() as session:
            run, rows = load_run(session, run_id, lock=True)
            was_running = run.state == "running"
            cancels: list[str] = []
            if outcome is not None and was_running:
                cancels = self._record_outcome(session, run, rows, outcome)
            jobs: list[Job] = []
            if run.state == "running":
                jobs = self._start_ready_steps(session, run, rows)
                self._finish_if_done(run, rows)
            ended = run.state if was_running and run.state != "running" else None
            return jobs, cancels, ended

    def _record_outcome(self, session, run: PipelineRun, rows: list[RunStep], outcome: tuple) -> list[str]:
        step, item, job_id, attempts, result, error, started = outcome
        row = next((r for r in rows if r.step == step and r.item == item), None)
        if row is None or row.job_id != job_id or row.state in FINAL_STEP_STATES:
            return []  # a stale generation, or a replay of an outcome already recorded
        row.started_at = started
        _finish_row(row, attempts, result, error)
        parent = row
        if item >= 0:
            parent = next(r for r in rows if r.step == step and r.item == -1)
            children_started = [r.started_at for r in rows if r.step == step and r.item >= 0 and r.started_at]
            parent.started_at = min(children_started) if children_started else None
            children = sorted((r for r in rows if r.step == step and r.item >= 0), key=lambda r: r.item)
            if any(c.state not in FINAL_STEP_STATES for c in children):
                return []
            failed = [c for c in children if c.state == "failed"]
            parent.attempts = sum(c.attempts for c in children)
            if failed:
                _finish_row(parent, parent.attempts, None, failed[0].error, already_described=True)
            else:
                _finish_row(parent, parent.attempts, [c.result for c in children], None)
        if parent.state == "failed" and self._plan(run).spec.failure_policy == "fail-fast":
            return self._fail_run(run, rows, f"step {parent.step} failed: {(parent.error or {}).get('message')}")
        return []

    def _fail_run(self, run: PipelineRun, rows: list[RunStep], message: str) -> list[str]:
        run.state, run.finished_at = "failed", utcnow()
        run.error = {"type": "StepFailed", "message": message}
        return _cancel_unfinished(rows)

    def _start_ready_steps(self, session, run: PipelineRun, rows: list[RunStep]) -> list[Job]:
        plan = self._plan(run)
        by_step = {r.step: r for r in rows if r.item < 0}
        jobs: list[Job] = []
        progressed = True
        while progressed:  # a skipped or empty step can make its dependents ready at once
            progressed = False
            for name in plan.order:
                row = by_step[name]
                if row.state != "pending":
                    continue
                dep_rows = [by_step[d] for d in plan.deps[name]]
                if any(_blocks(d) for d in dep_rows):
                    row.state, row.finished_at = "skipped", utcnow()
                    row.error = {"type": "UpstreamFailed", "message": "a step it depends on did not complete"}
                    progressed = True
                    continue
                if not all(d.state in ("completed", "skipped") for d in dep_rows):
                    continue
                jobs.extend(self._start_step(session, run, plan, row, by_step))
                progressed = progressed or row.state in FINAL_STEP_STATES
        return jobs

    def _start_step(self, session, run: PipelineRun, plan: Plan, row: RunStep, by_step: dict) -> list[Job]:
        step = plan.spec.steps[row.step]
        where = f"steps.{row.step}"
        scope = build_scope(run, by_step)
        try:
            if step.when and not evaluate_condition(step.when, scope):
                row.state, row.finished_at, row.progress = "skipped", utcnow(), 100.0
                return []
            if not step.foreach:
                job, job_id = self._prepare(run, row, step, scope, -1, where)
                row.state, row.job_id = "queued", job_id
                return [job]
            items = resolve(step.foreach, scope)
            if not isinstance(items, list):
                raise BadInput(f"{where}.foreach: {step.foreach} is {type(items).__name__}, not a list")
            row.items_total, row.state = len(items), "queued"
            if not items:
                _finish_row(row, 0, [], None)
                return []
            jobs = []
            for index, item in enumerate(items):
                child_scope = build_scope(run, by_step, item=item, index=index)
                job, job_id = self._prepare(run, row, step, child_scope, index, f"{where}[{index}]")
                session.add(RunStep(run=run.id, step=row.step, item=index, task=row.task, state="queued",
                                    job_id=job_id, attempts=0, progress=0.0))
                jobs.append(job)
            return jobs
        except (ExpressionError, MediamillError) as exc:
            _finish_row(row, 0, None, exc)
            if plan.spec.failure_policy == "fail-fast":
                self._fail_run(run, list(by_step.values()), f"{where}: {exc}")
            return []

    def _prepare(self, run: PipelineRun, row: RunStep, step, scope: dict, item: int, where: str) -> tuple[Job, str]:
        """The step's (or item's) job, and its deterministic id."""
        params = resolve(step.params, scope)
        inputs = inputs_from([resolve(as_reference(u), scope) for u in step.use], where)
        job_id = step_job_id(run.id, row.step, item, run.generation)
        queue, _, data, options = self.broker.prepare(step.task, params, inputs, job_id=job_id, run=run.id,
                                                      step=row.step, extra={"item": item})
        return (queue, step.task, data, options), job_id

    def _finish_if_done(self, run: PipelineRun, rows: list[RunStep]) -> None:
        steps = [r for r in rows if r.item < 0]
        if run.state != "running" or any(r.state not in FINAL_STEP_STATES for r in steps):
            return
        failed = [r for r in steps if r.state == "failed" or (r.state == "skipped" and r.error)]
        run.finished_at = utcnow()
        run.progress = 100.0
        if failed:
            run.state = "failed"
            run.error = {"type": "StepFailed",
                         "message": "; ".join(f"{r.step}: {(r.error or {}).get('message')}" for r in failed)}
            return
        run.state = "completed"
        scope = build_scope(run, {r.step: r for r in steps})
        outputs = {}
        for name, ref in self._plan(run).spec.outputs.items():
            try:
                outputs[name] = resolve(ref, scope)
            except ExpressionError:
                outputs[name] = None
        run.outputs = outputs

    def _cancel(self, run_id: str) -> list[str]:
        with self.db.session() as session:
            run, rows = load_run(session, run_id, lock=True)
            if run.state not in ("queued", "running"):
                raise Conflict(f"run {run_id} already {run.state}; nothing to cancel", field="run")
            run.state, run.finished_at = "cancelled", utcnow()
            run.error = {"type": "Cancelled", "message": "the run was cancelled"}
            return _cancel_unfinished(rows)

    def _reset_for_rerun(self, run_id: str) -> None:
        with self.db.session() as session:
            run, rows = load_run(session, run_id, lock=True)
            if run.state not in ("failed", "cancelled"):
                raise Conflict(f"run {run_id} is {run.state}; only failed or cancelled runs can be rerun", field="run")
            redo = {r.step for r in rows if r.item < 0 and r.state != "completed"}
            for row in rows:
                if row.step not in redo:
                    continue
                if row.item >= 0:
                    session.delete(row)
                else:
                    row.state, row.job_id, row.result, row.error = "pending", None, None, None
                    row.progress, row.items_total, row.started_at, row.finished_at = 0.0, None, None, None
            run.generation += 1
            run.state, run.error, run.finished_at, run.outputs = "running", None, None, None

    # -- engine side ----------------------------------------------------------------------
    async def _dispatch(self, jobs: list[Job], cancels: list[str], ended: tuple[str, str | None]) -> None:
        for queue, task, data, options in jobs:
            await self.broker.queue(queue).add(task, data, options)
        for job_id in cancels:
            try:
                await self.broker.cancel(job_id)
            except (Conflict, NotFound):
                pass
        run_id, state = ended
        if state is not None:  # listeners (SSE streams, `wait_for_run`) learn at once
            await self.broker.redis.publish(C.RUNS_CHANNEL, json.dumps({"run": run_id, "state": state}))

    async def wait(self, run_id: str, timeout: float | None = None) -> RunStatus:
        """Wait for a run to end, woken by the coordinator's event (a slow poll is the safety net)."""
        pubsub = self.broker.redis.pubsub()
        await pubsub.subscribe(C.RUNS_CHANNEL)
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        try:
            while True:
                status = await self.status(run_id, live=False)
                if status.state in ("completed", "failed", "cancelled"):
                    return status
                if deadline is not None and loop.time() > deadline:
                    raise WaitTimedOut(f"run {run_id} did not finish within {timeout} s")
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                while message is not None and json.loads(message["data"]).get("run") != run_id:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
        finally:
            await pubsub.aclose()

    async def _merge_live_progress(self, rows: list[RunStep]) -> None:
        for row in rows:
            if row.state in ("queued", "active") and row.job_id:
                try:
                    live = await self.broker.status(row.job_id)
                except NotFound:
                    continue
                row.progress, row.attempts = live.progress, live.attempts
                if live.state.value == "active":
                    row.state = "active"

    async def close(self) -> None:
        if self._owns_broker:
            await self.broker.close()


def _blocks(row: RunStep) -> bool:
    return row.state in ("failed", "cancelled") or (row.state == "skipped" and row.error is not None)


def _finish_row(row: RunStep, attempts: int, result: Any, error: Any, already_described: bool = False) -> None:
    row.attempts = attempts
    row.finished_at = utcnow()
    row.progress = 100.0
    if error is None:
        row.state, row.result, row.error = "completed", result, None
        return
    row.state = "failed"
    if already_described:
        row.error = error
    else:
        row.error = {"type": getattr(error, "kind", None) or type(error).__name__, "message": str(error)}


def _cancel_unfinished(rows: list[RunStep]) -> list[str]:
    jobs = []
    for row in rows:
        if row.state in FINAL_STEP_STATES:
            continue
        if row.state in ("queued", "active") and row.job_id:
            jobs.append(row.job_id)
        row.state, row.finished_at = "cancelled", utcnow()
    return jobs

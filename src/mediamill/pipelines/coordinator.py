"""The coordinator: starts runs, and after every step job decides what runs next.

Why a coordinator and not BullMQ flows: flows are trees (a job has one parent) that fix every job's
data when the flow is added, while a pipeline is a DAG whose steps need their predecessors' outputs
in their params, whose fan-out width is known only at run time, and which can be cancelled and
rerun from its failed steps. So each step is an ordinary BullMQ job (its retries, timeouts and
stalled-job recovery unchanged), and after a step's final attempt the worker calls `on_job_finished`,
which, under a per-run lock, records the outcome and enqueues the steps that became ready. Job ids
are deterministic (run.step.item.generation), so a decision replayed after a crash enqueues nothing twice.

The decisions themselves (ready, skip, fail-fast, finish, cancel, rerun, repair) are pure functions
in `transitions`; this module keeps the lock, the transaction, the expressions and the dispatch.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any, NamedTuple

from mediamill import constants as C
from mediamill.db.base import utcnow
from mediamill.db.models.pipelines import PipelineRun, RunStep
from mediamill.db.repositories import jobs as job_records
from mediamill.db.session import open_database
from mediamill.engine.broker import Broker
from mediamill.engine.locks import redis_lock
from mediamill.engine.wire import JobRequest, PreparedJob
from mediamill.errors import BadInput, Conflict, MediamillError, NotFound, WaitTimedOut
from mediamill.logs import get_logger
from mediamill.pipelines import transitions as T
from mediamill.pipelines.expressions import ExpressionError, evaluate_condition, resolve
from mediamill.pipelines.runs import (
    RunStatus,
    create_run,
    load_run,
    run_status,
    step_job_id,
    view_of,
    write_view,
)
from mediamill.pipelines.scope import build_scope, inputs_from
from mediamill.pipelines.spec import PipelineSpec
from mediamill.pipelines.validate import Plan, as_reference, check_run_request, validate_spec
from mediamill.settings import Settings

log = get_logger("mediamill.pipelines")


Job = PreparedJob  # queue, job id, data, options (and the task and the record at submit)


class Dispatch(NamedTuple):
    """What a transaction leaves to do outside it."""

    jobs: list[Job]
    cancels: list[str]
    ended: str | None  # the run's end state, when this transaction ended it
    after: dict[str, list[str]] = {}  # with tracing: job id -> the job ids of the steps it depends on


class Coordinator:
    def __init__(self, settings: Settings, broker: Broker | None = None) -> None:
        self.settings = settings
        self.db = open_database(settings)
        self._owns_broker = broker is None
        self.broker = broker or Broker(settings)
        self._plans: dict[tuple[str, int], tuple[Plan, T.Graph]] = {}

    # -- entry points ---------------------------------------------------------------------
    async def start(self, spec: PipelineSpec, inputs: dict[str, Any], params: dict[str, Any]) -> RunStatus:
        plan = validate_spec(spec)
        inputs, params = check_run_request(spec, inputs, params)
        run_id, todo = await asyncio.to_thread(self._create, plan, inputs, params)
        if self.settings.tracing:
            from mediamill.pipelines.tracing import run_span  # only with tracing on

            with run_span(spec.name, run_id):
                await self._dispatch(run_id, todo)
        else:
            await self._dispatch(run_id, todo)
        # Not merged with BullMQ: the first steps were queued a moment ago, nothing live to add.
        return await self.status(run_id, live=False)

    async def advance(self, run_id: str) -> None:
        await self._record(run_id, None)

    async def on_job_finished(self, data: dict, job_id: str, attempts: int, result: Any,
                              error: BaseException | None, started: datetime | None = None) -> None:
        """Record a step job's final outcome and start what became ready (called by the worker).

        This is the hot path of every run: one lock, one thread hop, one transaction. A step's
        "active" state is not written when it starts; status reads merge it live from BullMQ.
        """
        outcome = T.Outcome(step=data["step"], item=int(data.get("item", -1)), job_id=job_id, attempts=attempts,
                            result=result, error=None if error is None else T.Failure.of(error), started_at=started)
        await self._record(data["run"], outcome)

    async def _record(self, run_id: str, outcome: T.Outcome | None) -> None:
        async with redis_lock(self.broker.redis, C.run_lock_key(run_id)):
            todo = await asyncio.to_thread(self._transaction, run_id, outcome)
        await self._dispatch(run_id, todo)

    async def cancel(self, run_id: str) -> RunStatus:
        async with redis_lock(self.broker.redis, C.run_lock_key(run_id)):
            todo = await asyncio.to_thread(self._cancel, run_id)
        await self._dispatch(run_id, todo)
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
        seen: dict[str, T.JobSeen] = {}
        finished = {}
        for row in T.rows_to_check(view_of(run, rows)):
            try:
                live = await self.broker.status(row.job_id)
            except NotFound:
                seen[row.job_id] = T.JobSeen.MISSING
                continue
            seen[row.job_id] = T.JobSeen.FINISHED if live.state.finished else T.JobSeen.WAITING
            finished[row.job_id] = live
        actions = T.repair_actions(view_of(run, rows), seen)
        repaired: dict[str, list[str]] = {"requeued": [], "replayed": []}
        for row in actions.replay:
            await self._replay(run_id, row, finished[row.job_id])
            repaired["replayed"].append(row.job_id)
        if T.JobSeen.MISSING in seen.values():
            async with redis_lock(self.broker.redis, C.run_lock_key(run_id)):
                jobs = await asyncio.to_thread(self._rebuild, run_id, seen)
            await self._dispatch(run_id, Dispatch([job for job, _ in jobs], [], None))
            repaired["requeued"] = [job_id for _, job_id in jobs]
        if repaired["requeued"] or repaired["replayed"]:
            log.warning("pipeline run repaired", run=run_id, **repaired)
        return repaired

    async def _replay(self, run_id: str, row: T.StepRow, live) -> None:
        error = None
        if live.state.value != "completed":
            details = live.error
            error = T.Failure(details.type if details else live.state.value,
                              details.message if details else f"the job was {live.state.value}")
        await self._record(run_id, T.Outcome(step=row.step, item=row.item, job_id=row.job_id, attempts=live.attempts,
                                             result=live.result, error=error, started_at=live.started_at))

    def _rebuild(self, run_id: str, seen: dict[str, T.JobSeen]) -> list[tuple[Job, str]]:
        """The jobs of still-queued rows whose job is missing, built again exactly as when first enqueued."""
        with self.db.session() as session:
            run, rows = load_run(session, run_id)
            view = view_of(run, rows)
            plan, _ = self._plan(run)
            jobs = []
            for row in T.repair_actions(view, seen).requeue:
                step, where = plan.spec.steps[row.step], f"steps.{row.step}"
                scope = build_scope(run, view.parents())
                if row.item >= 0:
                    items = resolve(step.foreach, scope)
                    scope = build_scope(run, view.parents(), item=items[row.item], index=row.item)
                    where = f"{where}[{row.item}]"
                job, job_id = prepare_job(self.broker, run, row.step, step, scope, row.item, where)
                if job_id == row.job_id:  # the same generation: the job the row is waiting for
                    jobs.append((job, job_id))
            return jobs

    async def status(self, run_id: str, live: bool = True) -> RunStatus:
        run, rows = await asyncio.to_thread(self._read, run_id)
        if live:
            await self._merge_live_progress(rows)
        return run_status(run, rows)

    # -- database side (runs in a thread) --------------------------------------------------
    def _create(self, plan: Plan, inputs: dict, params: dict) -> tuple[str, Dispatch]:
        """Record a new run and decide its first steps in the same transaction.

        No lock: nobody else can see the run before this commits, and its jobs go out after.
        """
        with self.db.session() as session:
            run = create_run(session, plan, inputs, params)
            run.started_at = utcnow()
            session.flush()
            self._plans[(run.id, run.generation)] = _with_graph(plan)  # validated a moment ago by start()
            _, rows = load_run(session, run.id)
            return run.id, self._decide(session, run, rows, None)

    def _read(self, run_id: str) -> tuple[PipelineRun, list[RunStep]]:
        with self.db.session() as session:
            return load_run(session, run_id)

    def _plan(self, run: PipelineRun) -> tuple[Plan, T.Graph]:
        key = (run.id, run.generation)
        if key not in self._plans:
            # The spec was checked when the run started; only its graph is rebuilt here.
            spec = PipelineSpec.model_validate(run.spec)
            self._plans[key] = _with_graph(validate_spec(spec, require_tasks=False, check_params=False))
        return self._plans[key]

    def _transaction(self, run_id: str, outcome: T.Outcome | None) -> Dispatch:
        """Record an outcome and decide; returns jobs to add, jobs to cancel, and the run's end state."""
        with self.db.session() as session:
            run, rows = load_run(session, run_id, lock=True)
            return self._decide(session, run, rows, outcome)

    def _decide(self, session, run: PipelineRun, rows: list[RunStep], outcome: T.Outcome | None) -> Dispatch:
        plan, graph = self._plan(run)
        before = view_of(run, rows)
        starter = _Starter(self.broker, run, plan)
        decision = T.decide(before, graph, utcnow(), starter, outcome)
        write_view(session, run, rows, before, decision.view)
        if decision.ended == T.RunState.COMPLETED:
            run.outputs = self._outputs(run, plan, decision.view)
        ended = decision.ended.value if decision.ended else None
        jobs = [starter.jobs[j] for j in decision.enqueue]
        if jobs:  # recorded at submit like any job, in the transaction that queues the steps
            job_records.create_many_if_absent(session, [job.record() for job in jobs])
        after = _dependencies(plan, rows, jobs) if self.settings.tracing and jobs else {}
        return Dispatch(jobs, list(decision.cancel), ended, after)

    def _outputs(self, run: PipelineRun, plan: Plan, view: T.RunView) -> dict:
        scope = build_scope(run, view.parents())
        outputs = {}
        for name, ref in plan.spec.outputs.items():
            try:
                outputs[name] = resolve(ref, scope)
            except ExpressionError:
                outputs[name] = None
        return outputs

    def _cancel(self, run_id: str) -> Dispatch:
        with self.db.session() as session:
            run, rows = load_run(session, run_id, lock=True)
            before = view_of(run, rows)
            decision = T.cancel_run(before, run_id, utcnow())
            write_view(session, run, rows, before, decision.view)
            return Dispatch([], list(decision.cancel), decision.ended.value)

    def _reset_for_rerun(self, run_id: str) -> None:
        with self.db.session() as session:
            run, rows = load_run(session, run_id, lock=True)
            before = view_of(run, rows)
            write_view(session, run, rows, before, T.reset_for_rerun(before, run_id))
            run.outputs = None

    # -- engine side ----------------------------------------------------------------------
    async def _dispatch(self, run_id: str, todo: Dispatch) -> None:
        for job in todo.jobs:
            if self.settings.tracing:
                from mediamill.pipelines.tracing import step_span  # only with tracing on

                with await step_span(self.broker, job, todo.after.get(job.job_id, ())):
                    await self.broker.queue(job.queue).add(job.task, job.data, job.options)
            else:
                await self.broker.queue(job.queue).add(job.task, job.data, job.options)
        for job_id in todo.cancels:
            try:
                await self.broker.cancel(job_id)
            except (Conflict, NotFound):
                pass
        if todo.ended is not None:  # listeners (SSE streams, `wait_for_run`) learn at once
            await self.broker.redis.publish(C.RUNS_CHANNEL, json.dumps({"run": run_id, "state": todo.ended}))

    async def wait(self, run_id: str, timeout: float | None = None) -> RunStatus:
        """Wait for a run to end, woken by the coordinator's event (a slow poll is the safety net)."""
        pubsub = self.broker.redis.pubsub()
        await pubsub.subscribe(C.RUNS_CHANNEL)
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        try:
            while True:
                status = await self.status(run_id, live=False)
                if status.state in C.FINAL_STATES:
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


def _dependencies(plan: Plan, rows: list[RunStep], jobs: list[Job]) -> dict[str, list[str]]:
    """For each job, the job ids of the steps (every item of a fan-out) its step depends on."""
    by_step: dict[str, list[str]] = {}
    for row in rows:
        if row.job_id:
            by_step.setdefault(row.step, []).append(row.job_id)
    return {job.job_id: [j for dep in sorted(plan.deps.get(job.data["step"], ())) for j in by_step.get(dep, ())]
            for job in jobs}


def _with_graph(plan: Plan) -> tuple[Plan, T.Graph]:
    graph = T.Graph(order=tuple(plan.order), deps={k: frozenset(v) for k, v in plan.deps.items()},
                    fail_fast=plan.spec.failure_policy == "fail-fast")
    return plan, graph


class _Starter:
    """Starts one step for `transitions.decide`: evaluates `when` and `foreach`, builds the jobs.

    The jobs are kept here by id; the decision says which of them go out.
    """

    def __init__(self, broker: Broker, run: PipelineRun, plan: Plan) -> None:
        self.broker, self.run, self.plan = broker, run, plan
        self.jobs: dict[str, Job] = {}

    def __call__(self, view: T.RunView, row: T.StepRow) -> T.Start:
        step, where = self.plan.spec.steps[row.step], f"steps.{row.step}"
        parents = view.parents()
        scope = build_scope(self.run, parents)
        try:
            if step.when and not evaluate_condition(step.when, scope):
                return T.Skip()
            if not step.foreach:
                return T.Enqueue(self._job(row.step, step, scope, -1, where))
            items = resolve(step.foreach, scope)
            if not isinstance(items, list):
                raise BadInput(f"{where}.foreach: {step.foreach} is {type(items).__name__}, not a list")
            return T.FanOut(tuple(
                self._job(row.step, step, build_scope(self.run, parents, item=item, index=index), index,
                          f"{where}[{index}]")
                for index, item in enumerate(items)
            ))
        except MediamillError as exc:
            return T.Unstartable(T.Failure.of(exc), where)

    def _job(self, name: str, step, scope: dict, item: int, where: str) -> str:
        job, job_id = prepare_job(self.broker, self.run, name, step, scope, item, where)
        self.jobs[job_id] = job
        return job_id


def prepare_job(broker: Broker, run: PipelineRun, name: str, step, scope: dict, item: int,
                where: str) -> tuple[Job, str]:
    """The step's (or item's) job, and its deterministic id."""
    params = resolve(step.params, scope)
    inputs = inputs_from([resolve(as_reference(u), scope) for u in step.use], where)
    job_id = step_job_id(run.id, name, item, run.generation)
    request = JobRequest.parse({"task": step.task, "params": params, "inputs": inputs})
    return broker.prepare(request, job_id=job_id, run=run.id, step=name, extra={"item": item}), job_id

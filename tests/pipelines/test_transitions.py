"""Property tests of the coordinator's pure decisions: random DAGs driven by random outcome sequences.

No Redis, no database: a small simulation plays the worker (delivering each enqueued job's outcome
in a random order, sometimes twice, sometimes late) and checks the invariants after every step.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediamill.errors import Conflict
from mediamill.pipelines import transitions as T

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def pipelines(draw):
    """A random DAG (each step may wait for any earlier one) and how each step behaves when started."""
    size = draw(st.integers(1, 7))
    names = [f"s{i}" for i in range(size)]
    deps = {name: frozenset(draw(st.sets(st.sampled_from(names[:i])))) if i else frozenset()
            for i, name in enumerate(names)}
    # What starting a step comes to: one job, a fan-out of n items, a `when` skip, or an unresolvable param.
    kinds = {name: draw(st.one_of(st.just("job"), st.integers(0, 3), st.just("skip"), st.just("unstartable")))
             for name in names}
    graph = T.Graph(order=tuple(names), deps=deps, fail_fast=draw(st.booleans()))
    return graph, kinds


def fresh_view(graph: T.Graph) -> T.RunView:
    return T.RunView(state=T.RunState.RUNNING, steps=tuple(T.StepRow(step=name) for name in graph.order))


class Simulation:
    """Plays the coordinator's caller: starts steps, keeps the jobs in flight, counts run endings."""

    def __init__(self, graph: T.Graph, kinds: dict) -> None:
        self.graph, self.kinds = graph, kinds
        self.view = fresh_view(graph)
        self.clock = 0
        self.inflight: dict[str, tuple[str, int]] = {}  # job id -> (step, item)
        self.started: list[str] = []
        self.endings: list[T.RunState] = []
        self.delivered: list[T.Outcome] = []

    def now(self) -> datetime:
        self.clock += 1
        return T0 + timedelta(seconds=self.clock)

    def start(self, view: T.RunView, row: T.StepRow) -> T.Start:
        # The property under test: nothing starts before every predecessor ended, and ended well.
        for dep in self.graph.deps[row.step]:
            before = view.row(dep)
            assert before.state.final, f"{row.step} started while {dep} is {before.state}"
            assert before.state in (T.StepState.COMPLETED, T.StepState.SKIPPED) and before.error is None
        assert view.state == T.RunState.RUNNING
        assert row.step not in self.started, f"{row.step} started twice"
        self.started.append(row.step)
        kind, gen = self.kinds[row.step], view.generation
        if kind == "job":
            return T.Enqueue(f"{row.step}.g{gen}")
        if kind == "skip":
            return T.Skip()
        if kind == "unstartable":
            return T.Unstartable(T.Failure("BadInput", "params.x: nothing at steps.y"), f"steps.{row.step}")
        return T.FanOut(tuple(f"{row.step}.{i}.g{gen}" for i in range(kind)))

    def apply(self, decision: T.Decision) -> None:
        before = self.view
        self.view = decision.view
        for job_id in decision.cancel:
            assert job_id in self.inflight, f"cancelled {job_id}, which was never sent"
            del self.inflight[job_id]
        for job_id in decision.enqueue:
            row = next(r for r in self.view.steps if r.job_id == job_id)
            assert row.state == T.StepState.QUEUED
            self.inflight[job_id] = row.key
        if decision.ended is not None:
            assert before.state == T.RunState.RUNNING and decision.ended == self.view.state
            self.endings.append(decision.ended)
        self.check()

    def check(self) -> None:
        view = self.view
        queued = {r.job_id for r in view.steps if r.state == T.StepState.QUEUED and r.job_id}
        if view.state == T.RunState.RUNNING:
            assert queued == set(self.inflight), "every queued row has exactly one job in flight"
        else:
            assert all(r.state.final for r in view.steps), "an ended run has only final steps"
            assert not self.inflight, "an ended run leaves no job to wait for"
        for row in view.steps:
            if row.item < 0 and row.items_total and row.state == T.StepState.COMPLETED:
                assert row.result == [c.result for c in view.items(row.step)]

    def begin(self) -> None:
        self.apply(T.decide(self.view, self.graph, self.now(), self.start))

    def deliver(self, job_id: str, fail: bool) -> T.Decision:
        step, item = self.inflight.pop(job_id)
        error = T.Failure("ProviderError", f"{job_id} broke") if fail else None
        outcome = T.Outcome(step=step, item=item, job_id=job_id, attempts=1 + fail,
                            result=None if fail else {"from": job_id}, error=error, started_at=self.now())
        self.delivered.append(outcome)
        decision = T.decide(self.view, self.graph, self.now(), self.start, outcome)
        self.apply(decision)
        return decision


def run_to_the_end(sim: Simulation, data) -> None:
    sim.begin()
    while sim.inflight:
        job_id = data.draw(st.sampled_from(sorted(sim.inflight)))
        fail = data.draw(st.booleans())
        was_running = sim.view.state == T.RunState.RUNNING
        others = set(sim.inflight) - {job_id}
        decision = sim.deliver(job_id, fail)
        failed_parent = any(r.item < 0 and r.state == T.StepState.FAILED for r in sim.view.steps)
        if sim.graph.fail_fast and was_running and failed_parent:
            # Fail-fast: the failure ends the run at once, cancelling every other job in flight.
            assert sim.view.state == T.RunState.FAILED
            assert set(decision.cancel) == others and not decision.enqueue
        if data.draw(st.integers(0, 4)) == 0 and sim.delivered:
            replay(sim, data.draw(st.sampled_from(sim.delivered)))


def replay(sim: Simulation, outcome: T.Outcome) -> None:
    """Applying an outcome already recorded (a retried hook, a repair) changes nothing at all."""
    decision = T.decide(sim.view, sim.graph, sim.now(), sim.start, outcome)
    assert decision.view == sim.view and not decision.enqueue and not decision.cancel and decision.ended is None


@PROPERTY
@given(pipelines(), st.data())
def test_a_run_ends_exactly_once_with_every_step_final(pipeline, data):
    graph, kinds = pipeline
    sim = Simulation(graph, kinds)
    run_to_the_end(sim, data)
    assert sim.endings == [sim.view.state], "the run ends exactly once"
    parents = sim.view.parents()
    assert all(row.state.final for row in parents.values())
    bad = [r for r in parents.values() if r.state == T.StepState.FAILED or (r.state == T.StepState.SKIPPED and r.error)]
    if bad or any(r.state == T.StepState.CANCELLED for r in parents.values()):
        assert sim.view.state == T.RunState.FAILED and sim.view.error.type == "StepFailed"
    else:
        assert sim.view.state == T.RunState.COMPLETED and sim.view.error is None


@PROPERTY
@given(pipelines(), st.data())
def test_without_fail_fast_only_the_dependents_of_a_failure_are_skipped(pipeline, data):
    graph, kinds = pipeline
    graph = dataclasses.replace(graph, fail_fast=False)
    sim = Simulation(graph, kinds)
    run_to_the_end(sim, data)
    parents = sim.view.parents()
    for name in graph.order:
        row, deps = parents[name], [parents[d] for d in graph.deps[name]]
        upstream_bad = any(d.state == T.StepState.FAILED or d.error is not None for d in deps)
        if upstream_bad:
            assert row.state == T.StepState.SKIPPED and row.error == T.UPSTREAM_FAILED
            assert name not in sim.started
        else:
            assert name in sim.started, f"{name} could run and was never started"
    assert not any(r.state == T.StepState.CANCELLED for r in sim.view.steps)


@PROPERTY
@given(pipelines(), st.data())
def test_late_outcomes_after_the_end_change_nothing(pipeline, data):
    graph, kinds = pipeline
    sim = Simulation(graph, kinds)
    run_to_the_end(sim, data)
    for outcome in sim.delivered:
        replay(sim, outcome)
    # A job fail-fast cancelled may still report in (it was already running): ignored too.
    for row in sim.view.steps:
        if row.job_id and row.state == T.StepState.CANCELLED:
            replay(sim, T.Outcome(step=row.step, item=row.item, job_id=row.job_id, attempts=1, result={}))


@PROPERTY
@given(pipelines(), st.data())
def test_cancel_makes_every_step_final_and_cancels_exactly_the_jobs_in_flight(pipeline, data):
    graph, kinds = pipeline
    sim = Simulation(graph, kinds)
    sim.begin()
    for _ in range(data.draw(st.integers(0, 5))):
        if not sim.inflight:
            break
        sim.deliver(data.draw(st.sampled_from(sorted(sim.inflight))), data.draw(st.booleans()))
    if sim.view.state != T.RunState.RUNNING:
        with pytest.raises(Conflict, match="nothing to cancel"):
            T.cancel_run(sim.view, "run_x", sim.now())
        return
    inflight = set(sim.inflight)
    decision = T.cancel_run(sim.view, "run_x", sim.now())
    assert set(decision.cancel) == inflight and decision.ended == T.RunState.CANCELLED
    sim.apply(decision)
    assert sim.view.error == T.RUN_CANCELLED
    with pytest.raises(Conflict):
        T.cancel_run(sim.view, "run_x", sim.now())


@PROPERTY
@given(pipelines(), st.data())
def test_a_rerun_keeps_completed_steps_and_ignores_the_old_generation(pipeline, data):
    graph, kinds = pipeline
    sim = Simulation(graph, kinds)
    run_to_the_end(sim, data)
    if sim.view.state == T.RunState.COMPLETED:
        with pytest.raises(Conflict, match="only failed or cancelled"):
            T.reset_for_rerun(sim.view, "run_x")
        return
    done = {r.step: r for r in sim.view.parents().values() if r.state == T.StepState.COMPLETED}
    sim.view = T.reset_for_rerun(sim.view, "run_x")
    assert sim.view.generation == 1 and sim.view.state == T.RunState.RUNNING
    for row in sim.view.steps:
        if row.step in done:
            assert row.item >= 0 or row == done[row.step], "a completed step is kept as it was"
        else:
            assert row.item < 0, "the items of a step to redo are dropped"
            assert (row.state, row.job_id, row.error, row.result) == (T.StepState.PENDING, None, None, None)
    old = list(sim.delivered)
    sim.kinds = {name: ("job" if kind == "unstartable" else kind) for name, kind in kinds.items()}
    sim.started = [name for name in sim.started if name in done]
    sim.endings = []
    sim.begin()
    for outcome in old:  # generation 0's jobs reporting late: their ids match no row any more
        replay(sim, outcome)
    while sim.inflight:
        sim.deliver(data.draw(st.sampled_from(sorted(sim.inflight))), False)
    remaining_skips = [r for r in sim.view.parents().values() if r.state == T.StepState.SKIPPED and r.error]
    assert not remaining_skips
    assert sim.endings == [T.RunState.COMPLETED]


@PROPERTY
@given(pipelines(), st.data())
def test_repair_requeues_only_queued_rows_whose_job_is_missing(pipeline, data):
    graph, kinds = pipeline
    sim = Simulation(graph, kinds)
    sim.begin()
    for _ in range(data.draw(st.integers(0, 3))):
        if sim.inflight:
            sim.deliver(data.draw(st.sampled_from(sorted(sim.inflight))), False)
    seen = {job_id: data.draw(st.sampled_from(list(T.JobSeen))) for job_id in sim.inflight}
    repair = T.repair_actions(sim.view, seen)
    if sim.view.state != T.RunState.RUNNING:
        assert repair == T.Repair()
        return
    assert {r.job_id for r in repair.requeue} == {j for j, s in seen.items() if s == T.JobSeen.MISSING}
    assert {r.job_id for r in repair.replay} == {j for j, s in seen.items() if s == T.JobSeen.FINISHED}
    assert all(r.state == T.StepState.QUEUED and r.job_id in sim.inflight for r in repair.requeue)
    # A fan-out step waits on its items' rows, never on a job of its own.
    assert all(not (r.item < 0 and r.items_total is not None) for r in repair.requeue + repair.replay)


def test_an_empty_fan_out_completes_at_once_and_frees_its_dependents():
    graph = T.Graph(order=("a", "b"), deps={"a": frozenset(), "b": frozenset({"a"})})
    sim = Simulation(graph, {"a": 0, "b": "job"})
    sim.begin()
    a = sim.view.row("a")
    assert (a.state, a.result, a.items_total) == (T.StepState.COMPLETED, [], 0)
    assert list(sim.inflight) == ["b.g0"]


def test_a_failed_item_fails_its_step_only_when_every_item_has_ended():
    graph = T.Graph(order=("a", "b"), deps={"a": frozenset(), "b": frozenset()}, fail_fast=True)
    sim = Simulation(graph, {"a": 2, "b": "job"})
    sim.begin()
    decision = sim.deliver("a.0.g0", fail=True)
    assert sim.view.state == T.RunState.RUNNING and not decision.cancel
    decision = sim.deliver("a.1.g0", fail=False)
    assert sim.view.state == T.RunState.FAILED and decision.cancel == ("b.g0",)
    assert sim.view.row("a").error == T.Failure("ProviderError", "a.0.g0 broke")
    assert sim.view.error.message == "step a failed: a.0.g0 broke"
    assert sim.view.row("b").state == T.StepState.CANCELLED

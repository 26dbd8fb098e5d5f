"""Pipeline runs: the list, and a run with its DAG drawn (state colours, live over SSE), steps,
rerun-from-failed, cancel."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from starlette.requests import Request

from mediamill.constants import FINAL_STATES
from mediamill.dashboard.pages.common import (
    PAGE_SIZE,
    Seen,
    action_form,
    artifact_refs,
    page_number,
    services_of,
)
from mediamill.dashboard.render import STATE_CLASS, DashboardRoute, event_stream, page, redirect
from mediamill.dashboard.svg import layout_dag
from mediamill.db.models.pipelines import RUN_STATES
from mediamill.errors import BadInput
from mediamill.services import runs as run_service
from mediamill.services.events import run_events

router = APIRouter(route_class=DashboardRoute)


@router.get("/runs")
async def runs_page(request: Request, found: Seen):
    found.require_read()
    state = request.query_params.get("state") or None
    if state and state not in RUN_STATES:
        raise BadInput(f"unknown run state {state!r}; one of {', '.join(RUN_STATES)}", field="state")
    number = page_number(request)
    listing = await asyncio.to_thread(run_service.list_runs, services_of(request), limit=PAGE_SIZE,
                                      offset=(number - 1) * PAGE_SIZE, state=state)
    return page(request, found, "runs.html", runs=listing["runs"], total=listing["total"], state=state,
                states=RUN_STATES, page_no=number, pages=max(1, -(-listing["total"] // PAGE_SIZE)))


@router.get("/runs/{run_id}")
async def run_page(run_id: str, request: Request, found: Seen):
    found.require_read()
    status, deps = await run_service.run_with_graph(services_of(request), run_id)
    steps = {step.name: step for step in status.steps}
    graph = layout_dag(deps, [step.name for step in status.steps])
    for node in graph["nodes"]:
        node.data = steps.get(node.name)
    return page(request, found, "run.html", run=status, graph=graph,
                outputs=artifact_refs(status.outputs), final=status.state in FINAL_STATES)


@router.get("/runs/{run_id}/events")
async def run_stream(run_id: str, request: Request, found: Seen):
    """Server-sent events for the run page: every step's state (with its colour class) as it changes."""
    found.require_read()
    return await event_stream(run_events(services_of(request), run_id), _with_classes)


def _with_classes(_event: str, snapshot: dict | None) -> dict | None:
    if snapshot and "steps" in snapshot:
        for step in snapshot["steps"]:
            step["class"] = STATE_CLASS.get(step["state"], "idle")
        snapshot["class"] = STATE_CLASS.get(snapshot["state"], "idle")
    return snapshot


@router.post("/runs/{run_id}/{action}")
async def run_action(run_id: str, action: str, request: Request, found: Seen):
    await action_form(request, found)
    services = services_of(request)
    if action == "cancel":
        await run_service.cancel_run(services, run_id)
    elif action == "rerun":
        await run_service.rerun(services, run_id)
    else:
        raise BadInput(f"unknown run action {action!r}: cancel or rerun", field="action")
    return redirect(request, found, f"/dashboard/runs/{run_id}")

"""Jobs: search over the records with filters in the URL, paging, bulk actions, a job's detail and live progress."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from html import escape
from typing import Any

from fastapi import APIRouter
from markupsafe import Markup
from starlette.requests import Request

from mediamill.dashboard.pages.common import (
    PAGE_SIZE,
    Seen,
    action_form,
    artifact_refs,
    page_number,
    preview_kind,
    services_of,
    text_field,
)
from mediamill.dashboard.render import (
    STATE_CLASS,
    DashboardRoute,
    ago,
    duration,
    event_stream,
    page,
    redirect,
    when,
)
from mediamill.db.models.jobs import JOB_STATES
from mediamill.errors import BadInput
from mediamill.services import artifacts as artifact_service
from mediamill.services import history
from mediamill.services import jobs as job_service
from mediamill.services.catalog import task_names
from mediamill.services.events import job_events

router = APIRouter(route_class=DashboardRoute)


@router.get("/jobs")
async def jobs_page(request: Request, found: Seen):
    found.require_read()
    job_filter = history.JobFilter.parse(request.query_params)
    number = page_number(request)
    found_jobs = await asyncio.to_thread(history.search_jobs, services_of(request), job_filter,
                                         limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    pages = max(1, -(-found_jobs["total"] // PAGE_SIZE))
    rows = _rows_html(found_jobs["jobs"], datetime.now(UTC))
    partial = _results_only(request)
    response = page(request, found, "jobs.html", block="results" if partial else None, filter=job_filter,
                    rows=rows, total=found_jobs["total"], page_no=number, pages=pages, states=JOB_STATES,
                    tasks=task_names(), actions=history.BULK_ACTIONS, partial=partial)
    response.headers["Vary"] = "HX-Request, HX-Target"  # one URL, two answers
    return response


def _results_only(request: Request) -> bool:
    """An htmx filter change swaps only #results: send just that (the form and the rest stay).
    Not for htmx's history restore (a back button after a cache miss), which needs the whole page."""
    headers = request.headers
    return (headers.get("hx-request") == "true" and headers.get("hx-target") == "results"
            and not headers.get("hx-history-restore-request"))


def _rows_html(jobs: list[Any], now: datetime) -> Markup:
    """The jobs table's rows as one escaped string. Written out here rather than looped in the
    template: Jinja's per-value output (an escape and a Markup per cell, 600 per page) cost more than
    the page's row query). Every value from the record goes through html.escape, which quotes for
    attributes too (markupsafe's escape, formatted into a string, took twice as long)."""
    return Markup("".join([_row_html(job, now) for job in jobs]))


def _row_html(job: Any, now: datetime) -> str:
    job_id, task, _queue, status, attempts, max_attempts, run, error, created_at, started_at, finished_at = job
    job_id = escape(job_id)
    run_link = f' <a class="muted" href="/dashboard/runs/{escape(run)}">run</a>' if run else ""
    message = escape(str((error or {}).get("message", "")))
    return (f'<tr><td><a class="mono" href="/dashboard/jobs/{job_id}">{job_id}</a>{run_link}</td>'
            f'<td>{escape(task)}</td><td><span class="badge {STATE_CLASS.get(status, "idle")}">'
            f'{escape(status)}</span></td><td>{attempts}/{max_attempts}</td>'
            f'<td title="{when(created_at)}">{ago(created_at, now)}</td>'
            f'<td>{duration(started_at, finished_at)}</td><td class="clip">{message}</td></tr>\n')


@router.post("/jobs/bulk")
async def bulk(request: Request, found: Seen):
    """Two steps: without `expected`, show how many jobs the filter matches; with it, act on them."""
    form = await action_form(request, found)
    job_filter = history.JobFilter.parse({k: v for k, v in form.items() if isinstance(v, str)})
    action = text_field(form.get("action")) or ""
    if action not in history.BULK_ACTIONS:
        raise BadInput(f"unknown bulk action {action!r}; one of {', '.join(history.BULK_ACTIONS)}", field="action")
    services = services_of(request)
    expected = text_field(form.get("expected"))
    if expected is None or not expected.isdigit():
        count = await asyncio.to_thread(history.count_jobs, services, job_filter)
        return page(request, found, "bulk.html", filter=job_filter, action=action, count=count,
                    limit=history.BULK_LIMIT)
    outcome = await history.bulk_apply(services, job_filter, action, int(expected))
    return page(request, found, "bulk.html", filter=job_filter, action=action, outcome=outcome)


@router.get("/jobs/{job_id}")
async def job_page(job_id: str, request: Request, found: Seen):
    found.require_read()
    services = services_of(request)
    view = await job_service.get_job(services, job_id)
    trail = await job_service.job_trail(services, job_id)
    produced = await asyncio.to_thread(artifact_service.artifacts_of_job, services, job_id)
    outputs = _outputs(view["result"], produced)
    return page(request, found, "job.html", job=view, trail=trail, outputs=outputs,
                inputs=artifact_refs(view["inputs"]), final=job_service.is_final(view["status"]))


def _outputs(result, produced) -> list[dict]:
    """Artifacts the result references, then any other the job stored, each with its preview kind."""
    seen, outputs = set(), []
    for ref in artifact_refs(result):
        if ref["artifact"] not in seen:
            seen.add(ref["artifact"])
            outputs.append({"id": ref["artifact"], "mime": ref.get("mime"), "name": ref.get("name"),
                            "size": ref.get("size"), "kind": preview_kind(ref.get("mime"), ref.get("name"))})
    for artifact in produced:
        if artifact.id not in seen:
            seen.add(artifact.id)
            outputs.append({"id": artifact.id, "mime": artifact.mime, "name": artifact.name, "size": artifact.size,
                            "kind": preview_kind(artifact.mime, artifact.name)})
    return outputs


@router.get("/jobs/{job_id}/events")
async def job_stream(job_id: str, request: Request, found: Seen):
    """Server-sent events for the job page: progress and step while it runs, then its final state."""
    found.require_read()
    return await event_stream(job_events(services_of(request), job_id))


@router.post("/jobs/{job_id}/{action}")
async def job_action(job_id: str, action: str, request: Request, found: Seen):
    await action_form(request, found)
    services = services_of(request)
    if action == "retry":
        await job_service.retry_job(services, job_id)
    elif action == "cancel":
        await job_service.cancel_job(services, job_id)
    elif action == "delete":
        await history.delete_job(services, job_id)
        return redirect(request, found, "/dashboard/jobs")
    else:
        raise BadInput(f"unknown job action {action!r}: retry, cancel or delete", field="action")
    return redirect(request, found, f"/dashboard/jobs/{job_id}")

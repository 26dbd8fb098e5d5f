"""The bodies of the job and queue commands (async; each calls the client or broker once and renders)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

from mediamill.cli import output
from mediamill.cli.output import build_table, emit_json, table
from mediamill.client import AsyncClient
from mediamill.engine.health import TABLE_COLUMNS, HealthSnapshot, health_snapshot
from mediamill.engine.heartbeats import online_per_queue, read_workers
from mediamill.engine.jobs import JobState, JobStatus
from mediamill.engine.wire import artifact_refs
from mediamill.errors import JobFailed
from mediamill.services.catalog import drain, set_paused_many
from mediamill.services.context import Services
from mediamill.settings import Settings
from mediamill.storage.mime import extension_for


async def submit_command(settings: Settings, task: str, params: dict, inputs: list[str], *, wait: bool,
                         out: Path | None, timeout: float | None, as_json: bool) -> None:
    async with AsyncClient(settings) as client:
        handle = await client.submit(task, params, inputs)  # files among the inputs are uploaded
        if not wait:
            if as_json:
                emit_json({"id": handle.id, "queue": handle.queue, "state": "waiting"})
            else:
                output.console.print(f"queued [bold]{handle.id}[/] on [bold]{handle.queue}[/]")
            return
        await warn_unserved(client.broker.redis, [handle.queue])
        status = await _wait_with_bar(handle, timeout, show=not as_json)
        if status.state == JobState.completed and out is not None:
            write_outputs(client, status.result, out)
        _render_status(status, as_json)
        if status.state != JobState.completed:
            reason = status.error.message if status.error else status.state.value
            raise JobFailed(f"job {status.id} {status.state.value}: {reason}")


async def warn_unserved(redis, queues: list[str]) -> list[str]:
    """Say on stderr which of `queues` no live worker serves: without it, a wait with no
    `mediamill up` running looks like a hang. The wait goes on (a worker may start later)."""
    online = online_per_queue(await read_workers(redis), sorted(set(queues)))
    idle = [queue for queue, count in online.items() if count == 0]
    for queue in idle:
        output.err_console.print(f"[bold yellow]no worker serves queue {queue!r}[/]: the job waits until one starts "
                          f"(`mediamill up`, or `mediamill worker --queues {queue}`)", highlight=False)
    return idle


async def _wait_with_bar(handle, timeout: float | None, show: bool) -> JobStatus:
    if not show:
        return await handle.wait(timeout)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn  # rich: for people only

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn())
    with Progress(*columns, console=output.console, transient=False) as progress:
        bar = progress.add_task(handle.id, total=100)

        def update(status: JobStatus) -> None:
            label = status.step or status.state.value
            progress.update(bar, completed=status.progress, description=f"{status.task} · {label}")

        return await handle.wait(timeout, on_update=update)


def write_outputs(client: AsyncClient, result: Any, out: Path) -> list[Path]:
    """Copy every output artifact of a result into `out`; each reference gains a "path"."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for ref in artifact_refs(result):
        name = ref.get("name") or ref["artifact"]
        if not Path(name).suffix:
            name += extension_for(ref.get("mime", ""))
        target = out / f"{ref['artifact'][4:12]}-{name}"
        client.save_artifact(ref["artifact"], target)
        ref["path"] = str(target.resolve())
        written.append(target)
    return written


def _render_status(status: JobStatus, as_json: bool) -> None:
    if as_json:
        emit_json(status)
        return
    colour = {"completed": "green", "failed": "red", "cancelled": "yellow"}.get(status.state.value, "cyan")
    output.console.print(f"[bold]{status.id}[/] {status.task} on {status.queue}: [{colour}]{status.state.value}[/] "
                  f"{status.progress:.0f}% (attempts {status.attempts}/{status.max_attempts})")
    if status.step:
        output.console.print(f"step: {status.step}")
    if status.error:
        output.console.print(f"[red]{status.error.type}: {status.error.message}[/]")
    if status.result is not None:
        output.console.print_json(data=status.result)


async def status_command(settings: Settings, job_id: str, as_json: bool) -> None:
    async with AsyncClient(settings) as client:
        _render_status(await client.job(job_id).status(), as_json)


async def cancel_command(settings: Settings, job_id: str, as_json: bool) -> None:
    async with AsyncClient(settings) as client:
        _render_status(await client.job(job_id).cancel(), as_json)


async def retry_command(settings: Settings, queue: str, job_id: str | None, as_json: bool) -> None:
    async with AsyncClient(settings) as client:
        if job_id:
            _render_status(await client.broker.retry(job_id, queue), as_json)
            return
        count = await client.broker.retry_all_failed(queue)
        if as_json:
            emit_json({"queue": queue, "retried": count})
        else:
            output.console.print(f"retried {count} failed job(s) of {queue}")


async def queues_command(settings: Settings, as_json: bool, watch: float | None = None) -> None:
    """The health table once, or refreshed every `watch` seconds until Ctrl-C."""
    async with AsyncClient(settings) as client:
        if watch is None:
            snapshot = await health_snapshot(client.broker)
            if as_json:
                emit_json([row.as_dict() for row in snapshot.queues])
            else:
                table(*health_rows(snapshot))
            return
        from rich.live import Live

        with Live(console=output.console, auto_refresh=False) as live:
            while True:
                snapshot = await health_snapshot(client.broker)
                if as_json:
                    emit_json({"at": time.time(), "queues": [row.as_dict() for row in snapshot.queues]})
                else:
                    live.update(build_table(*health_rows(snapshot)), refresh=True)
                await asyncio.sleep(watch)


def health_rows(snapshot: HealthSnapshot) -> tuple[str, list[str], list[list[Any]]]:
    title = f"queues · {len(snapshot.workers)} worker process(es) online"
    columns = ["queue", *TABLE_COLUMNS, "workers", "stalled", "removed", "state"]
    rows = []
    for row in snapshot.queues:
        state = " ".join(word for word in ("paused" if row.paused else "",
                                           "NO WORKERS" if row.no_workers else "") if word)
        rows.append([row.name, *[row.counts.get(col, 0) for col in TABLE_COLUMNS], row.workers, row.stalled,
                     row.removed, state])
    return title, columns, rows


async def pause_command(settings: Settings, queues: list[str] | None, paused: bool, as_json: bool) -> None:
    async with _services(settings) as services:
        rows = await set_paused_many(services, paused, queues)
    if as_json:
        emit_json([{"queue": row["name"], "paused": row["paused"]} for row in rows])
    else:
        for row in rows:
            output.console.print(f"{row['name']} {'paused' if paused else 'resumed'}")


async def drain_command(settings: Settings, queues: list[str] | None, timeout: float | None, as_json: bool) -> None:
    def report(active: dict[str, int]) -> None:
        busy = {name: count for name, count in active.items() if count}
        if busy and not as_json:
            output.err_console.print("waiting for " + ", ".join(f"{n}: {c} active" for n, c in busy.items()))

    async with _services(settings) as services:
        rows = await drain(services, queues, timeout_s=timeout, poll_s=0.5, on_poll=report)
    if as_json:
        emit_json([{"queue": row["name"], "paused": True, "active": 0} for row in rows])
    else:
        output.console.print(f"drained: {', '.join(row['name'] for row in rows)} paused, no active job")


@contextlib.asynccontextmanager
async def _services(settings: Settings):
    services = await Services.open(settings)
    try:
        yield services
    finally:
        await services.close()

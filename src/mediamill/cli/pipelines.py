"""Pipeline commands: run (one progress bar per step), runs, pipelines, register, cancel-run, rerun."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from mediamill.cli.jobs import warn_unserved, write_outputs
from mediamill.cli.output import console, emit_json, table
from mediamill.client import AsyncClient
from mediamill.constants import FINAL_STATES
from mediamill.errors import BadInput, JobFailed, WaitTimedOut
from mediamill.pipelines.catalog import get_pipeline
from mediamill.pipelines.coordinator import Coordinator
from mediamill.pipelines.runs import RunStatus
from mediamill.pipelines.spec import PipelineSpec
from mediamill.services.artifacts import store_upload
from mediamill.services.context import Services
from mediamill.settings import Settings
from mediamill.tasks.registry import task_infos


def file_input(services: Services, path: Path) -> dict:
    """A local file stored and recorded like every upload (services.artifacts.store_upload)."""
    if not path.is_file():
        raise BadInput(f"no such file: {path}", field="inputs")
    return store_upload(services, path, path.name).ref()


def assign_inputs(services: Services, spec: PipelineSpec, raw_inputs: list[str], sets: dict) -> tuple[dict, dict]:
    """`--input [name=]value` and `--set k=v` -> (inputs, params) for the spec (sync: files are stored)."""
    inputs: dict[str, Any] = {}
    file_slots = [n for n, d in spec.inputs.items() if d.kind in ("file", "list")]
    for raw in raw_inputs:
        name, sep, value = raw.partition("=")
        if not sep or name not in spec.inputs:
            name, value = (file_slots.pop(0) if file_slots else None), raw
            if name is None:
                raise BadInput(f"--input {raw!r}: {spec.name} has no free file input; use name=value", field="inputs")
        decl = spec.inputs[name]
        item = file_input(services, Path(value)) if decl.kind in ("file", "list") else value
        if decl.kind == "list":
            inputs.setdefault(name, []).append(item)
        else:
            inputs[name] = item
        if name in file_slots:
            file_slots.remove(name)
    params = {}
    for key, value in sets.items():
        if key in spec.inputs:
            inputs[key] = value
        else:
            params[key] = value
    return inputs, params


async def run_command(settings: Settings, name: str, raw_inputs: list[str], sets: dict, *, out: Path | None,
                      wait: bool, as_json: bool, timeout: float | None) -> None:
    spec = await asyncio.to_thread(get_pipeline, settings, name)
    services = await Services.open(settings)
    coordinator = Coordinator(settings, broker=services.broker)
    try:
        inputs, params = await asyncio.to_thread(assign_inputs, services, spec, raw_inputs, sets)
        status = await coordinator.start(spec, inputs, params)
        if not wait:
            emit_json({"id": status.id, "state": status.state}) if as_json else console.print(
                f"started run [bold]{status.id}[/] of {name}")
            return
        tasks = task_infos()  # from the manifest: no processor family is imported for this
        await warn_unserved(services.broker.redis,
                            [tasks[step.task].queue for step in spec.steps.values() if step.task in tasks])
        status = await _follow(coordinator, status.id, timeout, show=not as_json)
        if status.state == "completed" and out is not None:
            async with AsyncClient(settings) as client:
                write_outputs(client, status.outputs, out)
        _render(status, as_json)
        if status.state != "completed":
            raise JobFailed(f"run {status.id} {status.state}: {(status.error or {}).get('message')}")
    finally:
        await coordinator.close()
        await services.close()


async def _follow(coordinator, run_id: str, timeout: float | None, show: bool) -> RunStatus:
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    columns = (TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TextColumn("{task.fields[state]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not show) as progress:
        bars: dict[str, int] = {}
        while True:
            status = await coordinator.status(run_id)
            for step in status.steps:
                label = f"{step.name} ({step.task})"
                if step.items_total:
                    label = f"{step.name} ×{step.items_done}/{step.items_total}"
                if step.name not in bars:
                    bars[step.name] = progress.add_task(label, total=100, state=step.state)
                progress.update(bars[step.name], completed=step.progress, description=label, state=step.state)
            if status.state in FINAL_STATES:
                return status
            if deadline is not None and loop.time() > deadline:
                raise WaitTimedOut(f"run {run_id} did not finish within {timeout} s")
            await asyncio.sleep(0.3)


def _render(status: RunStatus, as_json: bool) -> None:
    if as_json:
        emit_json(status)
        return
    colour = {"completed": "green", "failed": "red", "cancelled": "yellow"}.get(status.state, "cyan")
    console.print(f"run [bold]{status.id}[/] ({status.pipeline}): [{colour}]{status.state}[/] "
                  f"in {status.duration_s or 0:.1f} s")
    if status.error:
        console.print(f"[red]{status.error.get('message')}[/]")
    if status.outputs:
        console.print("outputs:")
        console.print_json(data=status.outputs)


async def run_status_command(settings: Settings, run_id: str, as_json: bool) -> None:
    coordinator = Coordinator(settings)
    try:
        status = await coordinator.status(run_id)
    finally:
        await coordinator.close()
    if as_json:
        emit_json(status)
        return
    table(f"run {status.id} ({status.pipeline}): {status.state} {status.progress:.0f}%",
          ["name", "task", "state", "progress", "attempts", "duration"],
          [[s.name, s.task, s.state, f"{s.progress:.0f}%", s.attempts, s.duration_s or ""] for s in status.steps])
    _render(status, False)


async def control_command(settings: Settings, run_id: str, action: str, as_json: bool) -> None:
    coordinator = Coordinator(settings)
    try:
        status = await (coordinator.cancel(run_id) if action == "cancel" else coordinator.rerun(run_id))
    finally:
        await coordinator.close()
    _render(status, as_json)

"""The bodies of the asset lifecycle commands (`artifacts delete`, `share ...`, `schedules`, `cleanup`).

Each opens the services it needs inside the call: `mediamill --help` pays for none of them.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from mediamill.cli.output import console, emit_json, table
from mediamill.settings import Settings


def with_services(settings: Settings, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a service function (sync in a thread, or async) on freshly opened services, then close them."""
    from mediamill.client import AsyncClient

    async def call() -> Any:
        async with AsyncClient(settings) as client:
            services = await client.services()
            if inspect.iscoroutinefunction(work):
                return await work(services, *args, **kwargs)
            return await asyncio.to_thread(work, services, *args, **kwargs)

    return asyncio.run(call())


def delete_command(settings: Settings, artifact_id: str, *, dry_run: bool, as_json: bool) -> None:
    from mediamill.services.artifacts import delete_artifact

    result = with_services(settings, delete_artifact, artifact_id, dry_run=dry_run)
    if as_json:
        emit_json(result)
        return
    verb = "would delete" if dry_run else "deleted"
    console.print(f"{verb} [bold]{artifact_id}[/] and {len(result['derived'])} derived artifact(s), "
                  f"{result['bytes']} bytes", highlight=False)
    for derived in result["derived"]:
        console.print(f"  {derived}", highlight=False)


def share_create_command(settings: Settings, artifact_id: str, body: dict, *, as_json: bool) -> None:
    from mediamill.services.shares import create_share

    view = with_services(settings, create_share, artifact_id, body, created_by="cli")
    if as_json:
        emit_json(view)
        return
    limit = "unlimited downloads" if view["max_downloads"] is None else f"{view['max_downloads']} download(s)"
    console.print(f"share [bold]{view['id']}[/] of {artifact_id}: expires {view['expires_at']:%Y-%m-%d %H:%M} UTC, "
                  f"{limit}{', password' if view['password'] else ''}", highlight=False)
    console.print(f"link (shown once): [bold]{view['url']}[/]", highlight=False)


def share_list_command(settings: Settings, artifact_id: str | None, *, active: bool, as_json: bool) -> None:
    from mediamill.services.shares import list_shares

    rows = with_services(settings, list_shares, artifact_id, active_only=active)
    if as_json:
        emit_json(rows)
        return
    table("share links", ["id", "artifact", "state", "expires", "downloads", "limit", "password"],
          [[r["id"], r["artifact"], r["state"], f"{r['expires_at']:%Y-%m-%d %H:%M}", r["downloads"],
            "" if r["max_downloads"] is None else r["max_downloads"], "yes" if r["password"] else ""]
           for r in rows])


def share_revoke_command(settings: Settings, share_id: str, *, as_json: bool) -> None:
    from mediamill.services.shares import revoke_share

    view = with_services(settings, revoke_share, share_id)
    emit_json(view) if as_json else console.print(f"revoked {view['id']} ({view['artifact']})", highlight=False)


def schedules_command(settings: Settings, *, as_json: bool) -> None:
    from mediamill.engine.broker import Broker
    from mediamill.engine.schedules import describe_schedules

    async def read() -> list[dict]:
        broker = Broker(settings)
        try:
            return await describe_schedules(broker)
        finally:
            await broker.close()

    rows = asyncio.run(read())
    if as_json:
        emit_json(rows)
        return
    table("schedules", ["id", "task", "queue", "when", "kinds", "next run (UTC)", "installed"],
          [[r["id"], r["task"], r["queue"], r["when"], ", ".join(r["kinds"]),
            f"{r['next_run']:%Y-%m-%d %H:%M}", "yes" if r["installed"] else "not yet (no worker on its queue)"]
           for r in rows])


def cleanup_command(settings: Settings, kinds: list[str], options: dict, *, as_json: bool) -> dict:
    """storage.cleanup run here and now (not through the queue), so a dry run answers at once."""
    import secrets
    import shutil

    from mediamill.engine.wire import to_wire
    from mediamill.storage import open_store
    from mediamill.tasks.context import JobInfo, TaskContext
    from mediamill.tasks.registry import get_task

    spec = get_task("storage.cleanup")
    params = spec.parse_params({**options, **({"types": kinds} if kinds else {})})
    job_id = f"cli-cleanup-{secrets.token_hex(6)}"
    scratch = settings.resolved_data_dir / "scratch" / job_id
    scratch.mkdir(parents=True, exist_ok=True)
    ctx = TaskContext(job=JobInfo(job_id=job_id, task=spec.name, queue=spec.queue), store=open_store(settings),
                      scratch=scratch, limits=settings.limits, ttl_hours=settings.storage_ttl_hours,
                      settings=settings)
    try:
        result = to_wire(spec.fn(ctx, params))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if as_json:
        emit_json(result)
        return result
    verb = "would remove" if params.dry_run else "removed"
    rows = []
    for kind, counts in result.items():
        if isinstance(counts, dict):
            shown = ", ".join(f"{k}: {v}" for k, v in counts.items() if k not in ("before", "more"))
            if counts.get("more"):
                shown += " (more left: batch size reached)"
            rows.append([kind, shown])
    table(f"cleanup: {verb}", ["kind", "counts"], rows)
    return result

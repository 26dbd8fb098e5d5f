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

"""The bodies of the asset lifecycle commands (`artifacts delete`, `share ...`, `schedules`, `cleanup`).

Each opens the services it needs inside the call: `mediamill --help` pays for none of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from mediamill.cli.output import console, emit_json
from mediamill.settings import Settings


def with_services(settings: Settings, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a sync service function on freshly opened services (database, store, broker), then close them."""
    from mediamill.client import AsyncClient

    async def call() -> Any:
        async with AsyncClient(settings) as client:
            return await asyncio.to_thread(work, await client.services(), *args, **kwargs)

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

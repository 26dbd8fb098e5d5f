"""The fork server task processes start from, started as early as a worker knows its queues.

Stdlib and settings only: `mediamill worker` starts it before importing the rest of the worker, so the
server's imports (mediamill's task-process side and the queues' task modules) run on the second core
while the worker's own run on the first. Task processes are then forked from it (`engine.child`).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
from collections.abc import Iterable

from mediamill.errors import ConfigError
from mediamill.settings import Settings

CONTEXT = multiprocessing.get_context("forkserver")
# What every task process imports before its first job, whatever its queue; `task_server_boot` first,
# so a child does not run the worker's main script again (it says why).
BASE_PRELOAD = ("mediamill.engine.task_server_boot", "mediamill.engine.child", "mediamill.logs")


def select_queues(settings: Settings, wanted: list[str] | None) -> list[str]:
    """The queues a worker serves: those asked for, else the settings' `workers`, else every known one."""
    known = settings.policies()
    names = wanted or settings.workers or list(known)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ConfigError(f"unknown queue(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return names


def preload(modules: Iterable[str]) -> None:
    """What the fork server imports once, before it forks the first task process. Once it runs, a new
    list changes nothing: those children import what they miss themselves."""
    CONTEXT.set_forkserver_preload([*BASE_PRELOAD, *sorted(set(modules))])


def start_task_server(modules: Iterable[str]) -> None:
    """Preload these task modules and start the server now (it imports them in the background)."""
    preload(modules)
    multiprocessing.forkserver.ensure_running()

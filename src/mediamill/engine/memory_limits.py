"""Where a memory ceiling (`@task(memory_limit_mb=)` or a queue's `memory_limit_mb`) can be enforced.

The ceiling is watched on a task process's resident memory, and the process is killed past it. A
thread task shares the worker process's memory, so nothing could be measured or killed for it alone:
under a ceiling it runs in a task process instead (its function is sync, and a task process runs it
unchanged). An inline task runs on the worker's event loop and cannot move: its own ceiling is
refused when it is registered, and a queue's ceiling does not cover it (the worker says so at start,
naming it: inline tasks are async I/O, and a queue may mix them with the tasks the ceiling is for).
"""

from __future__ import annotations

from collections.abc import Iterable

from mediamill.logs import get_logger
from mediamill.settings import Settings
from mediamill.tasks.registry import TaskInfo

log = get_logger("mediamill.worker")


def isolation_under(isolation: str, memory_limit_mb: int | None) -> str:
    """The isolation a task runs in, given the ceiling that applies to it."""
    return "process" if memory_limit_mb and isolation == "thread" else isolation


def uncovered_inline_tasks(settings: Settings, queues: Iterable[str], tasks: Iterable[TaskInfo]) -> dict[str, list[str]]:
    """Per served queue with a memory ceiling, its inline tasks (which the ceiling cannot cover), logged as a warning."""
    served = set(queues)
    uncovered: dict[str, list[str]] = {}
    for info in tasks:
        if info.queue in served and info.isolation == "inline" and settings.policy(info.queue).memory_limit_mb:
            uncovered.setdefault(info.queue, []).append(info.name)
    for queue, names in sorted(uncovered.items()):
        log.warning("the queue's memory ceiling does not cover its inline tasks: they run on the worker's event "
                    "loop (its thread and process tasks run in task processes under the ceiling)", queue=queue,
                    memory_limit_mb=settings.policy(queue).memory_limit_mb, inline_tasks=sorted(names))
    return uncovered

"""The composition root: which task modules a mediamill process loads.

The layers below never reach up for their plugins: the task registry is told here where the tasks live
(mediamill's own families plus `Settings.task_modules`), and the worker's hooks are assembled by its
entry point (`mediamill.serve.build_worker`). Nothing is imported here: the first task lookup does that.
"""

from __future__ import annotations

from mediamill.settings import Settings, get_settings
from mediamill.tasks.registry import add_task_sources

# Packages are walked; modules are imported as they are. Tasks outside mediamill.processors live
# beside the layer they serve (a pipeline's repair sweep, webhook delivery).
BUILTIN_TASK_SOURCES = ("mediamill.processors", "mediamill.pipelines.sweep", "mediamill.webhooks.deliver")


def install_tasks(settings: Settings | None = None) -> None:
    """Point the task registry at the built-in families and the configured extra modules (idempotent)."""
    settings = settings or get_settings()
    add_task_sources([*BUILTIN_TASK_SOURCES, *settings.task_modules])

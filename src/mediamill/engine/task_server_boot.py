"""What the fork server imports first (engine.task_server): its children keep the server's `__main__`.

multiprocessing prepares every child it starts by running the parent's main script again (as
`__mp_main__`, for functions pickled by reference to it). A worker's main is the `mediamill` console
script, so every task process imported the whole CLI (typer, click, ~0.1 CPU-s) after its fork and
before its first job. The fork server's own preload of `__main__`, meant to share that import, never
runs on Python 3.11 (`ensure_running` passes a `main_path` key the preparation data does not have).
A task process needs nothing of `__main__`: it runs `engine.child.child_main` and imports its task
modules by name. This module is imported only in the fork server, never in a worker.
"""

from __future__ import annotations

from multiprocessing import spawn


def _keep_main(main_path: str) -> None:
    """In place of `spawn._fixup_main_from_path` for the children forked from this server."""


spawn._fixup_main_from_path = _keep_main

"""mediamill: background media and content work on BullMQ queues, offline by default.

The public names load lazily: a task process imports `mediamill.x` without paying for the client,
the broker and the Redis stack it does not use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_PUBLIC = {
    "Artifact": "mediamill.storage.artifact",
    "AsyncClient": "mediamill.client",
    "BadInput": "mediamill.errors",
    "Client": "mediamill.client",
    "JobHandle": "mediamill.client",
    "MediamillError": "mediamill.errors",
    "TaskContext": "mediamill.tasks.context",
    "task": "mediamill.tasks.registry",
}
__all__ = ["Artifact", "AsyncClient", "BadInput", "Client", "JobHandle", "MediamillError", "TaskContext", "task"]

if TYPE_CHECKING:  # for type checkers and IDEs
    from mediamill.client import AsyncClient, Client, JobHandle
    from mediamill.errors import BadInput, MediamillError
    from mediamill.storage.artifact import Artifact
    from mediamill.tasks.context import TaskContext
    from mediamill.tasks.registry import task


assert sorted(_PUBLIC) == __all__


def _installed_version() -> str:
    """The version pyproject.toml gave the installed package (its one source), e.g. "0.1.0"."""
    from importlib.metadata import PackageNotFoundError, version  # lazily: only the CLI and the API ask

    try:
        return version("mediamill")
    except PackageNotFoundError:  # a source tree on sys.path that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = value = _installed_version()
        return value
    if name not in _PUBLIC:
        raise AttributeError(f"module 'mediamill' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value

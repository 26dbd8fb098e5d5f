"""The task manifest: the metadata of a set of tasks as JSON, so a process knows them without importing them.

`scripts/gen_reference.py` writes mediamill's own (`mediamill/task_manifest.json`) from the real registry;
`tests/test_docs.py` fails when it is stale, and `tests/tasks/test_task_manifest.py` compares it field by field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from mediamill.tasks.registry import TaskInfo, TaskSpec


def manifest_text(specs: Iterable[TaskSpec]) -> str:
    """The manifest of these tasks: stable (sorted by name), one JSON document."""
    entries = [spec.info().as_dict() for spec in sorted(specs, key=lambda s: s.name)]
    return json.dumps({"tasks": entries}, indent=1, sort_keys=True) + "\n"


def read_manifest(path: Path) -> list[TaskInfo]:
    """The tasks a manifest declares; none when the file is missing (the sources are then imported whole)."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["tasks"]
    except FileNotFoundError:
        return []
    return [TaskInfo.from_dict(entry) for entry in entries]

"""CPU seconds of this process and its live descendants: what a benchmark's side costs, whatever the
machine's load (wall rates follow the CPU share a loaded machine gives, CPU time does not)."""

from __future__ import annotations

import os
from pathlib import Path


def tree_cpu_s(root: int | None = None) -> float:
    """CPU seconds used so far by this process (or `root`) and every live descendant (worker pool, Redis,
    servers)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    ours, grew = {os.getpid() if root is None else root}, True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in ours} - ours
        ours |= found
        grew = bool(found)
    return sum(used.get(pid, 0.0) for pid in ours)

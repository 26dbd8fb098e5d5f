"""Whether a process id is alive, for the lease and guard bookkeeping (stdlib only: the Redis guard
process imports it and nothing heavier)."""

from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True

"""Chaos tests: real `mediamill worker` processes on the real embedded Redis, killed on purpose."""

from __future__ import annotations

import sys
from pathlib import Path

ENGINE_TESTS = Path(__file__).resolve().parent.parent / "engine"
# The test tasks (tests/engine/tasks_for_tests.py) are shared with the engine tests.
sys.path.insert(0, str(ENGINE_TESTS))
import tasks_for_tests  # noqa: E402,F401 - registers the test tasks in this process

"""Running `python -m mediamill` with the broken task family of conftest.py as an extra task module."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FAMILY = "mm_broken_family"
MISSING = "No module named 'mediamill_library_that_is_not_installed'"


def mediamill_process(args: list[str], family_dir: Path, data_dir: Path, **env: str) -> subprocess.Popen:
    """`python -m mediamill ARGS` with the broken family as an extra task module."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MEDIAMILL_")}
    environ.update({
        "PYTHONPATH": os.pathsep.join(filter(None, [str(family_dir), environ.get("PYTHONPATH", "")])),
        "MEDIAMILL_CONFIG": "/nonexistent/mediamill.toml",
        "MEDIAMILL_DATA_DIR": str(data_dir),
        "MEDIAMILL_TASK_MODULES": FAMILY,
        "MEDIAMILL_LOG_FORMAT": "json",
        **env,
    })
    return subprocess.Popen([sys.executable, "-m", "mediamill", *args], env=environ, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

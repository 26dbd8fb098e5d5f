"""`mediamill --version` / `-V` print the installed package's version and exit 0."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_installed_version(flag):
    done = subprocess.run([sys.executable, "-m", "mediamill", flag], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"mediamill {version('mediamill')}\n"


def test_the_package_reports_the_same_version():
    import mediamill

    assert mediamill.__version__ == version("mediamill")

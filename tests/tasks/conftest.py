"""A task family that cannot load: a package with one good module and one whose library is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from broken_family import FAMILY

from mediamill.tasks import registry

GOOD = '''
from mediamill.tasks import task


@task("brokentest.fine", queue="analytics", isolation="thread")
def fine(ctx, params) -> dict:
    return {"ok": True}
'''
# Its task would serve the queue "brokenq", which then has nothing to run.
BROKEN = '''
import mediamill_library_that_is_not_installed  # noqa: F401

from mediamill.tasks import task


@task("brokentest.lost", queue="brokenq", isolation="thread")
def lost(ctx, params) -> dict:
    return {}
'''


@pytest.fixture
def family_dir(tmp_path: Path) -> Path:
    """A directory holding the package `mm_broken_family` (good.py loads, needs_lib.py cannot)."""
    package = tmp_path / "families" / FAMILY
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "good.py").write_text(GOOD)
    (package / "needs_lib.py").write_text(BROKEN)
    return package.parent


@pytest.fixture
def broken_family(family_dir: Path, monkeypatch):
    """The broken family added to this process's task sources; the registry is restored afterwards."""
    monkeypatch.syspath_prepend(str(family_dir))
    registry.load_tasks()  # everything else first: what is restored afterwards must be complete
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))
    monkeypatch.setattr(registry, "_sources", [*registry._sources])
    monkeypatch.setattr(registry, "_imported", set(registry._imported))
    monkeypatch.setattr(registry, "_unavailable", dict(registry._unavailable))
    registry.add_task_sources([FAMILY])
    yield FAMILY
    for name in [m for m in sys.modules if m == FAMILY or m.startswith(FAMILY + ".")]:
        del sys.modules[name]

"""The task manifest: true to the real registry, and what lets a process skip importing every family."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from mediamill.composition import BUILTIN_TASK_SOURCES, TASK_MANIFEST
from mediamill.tasks.manifest import manifest_text, read_manifest
from mediamill.tasks.registry import load_tasks


def builtin_specs():
    return [spec for spec in load_tasks().values()
            if any(spec.fn.__module__ == s or spec.fn.__module__.startswith(s + ".") for s in BUILTIN_TASK_SOURCES)]


def test_the_manifest_matches_the_registry_field_by_field():
    real = {spec.name: spec.info() for spec in builtin_specs()}
    declared = {info.name: info for info in read_manifest(TASK_MANIFEST)}
    assert sorted(declared) == sorted(real)
    for name, info in real.items():
        assert declared[name] == info, f"{name}: run `.venv/bin/python scripts/gen_reference.py`"
    assert TASK_MANIFEST.read_text(encoding="utf-8") == manifest_text(builtin_specs())


PROBE = '''
import json, sys
from mediamill.composition import install_tasks
from mediamill.tasks.registry import get_task, task_info, task_infos
install_tasks()
names = sorted(task_infos())
queue = task_info("asset.inspect").queue
spec = get_task("file.inspect")
print(json.dumps({"names": names, "asset_queue": queue, "task": spec.name,
                  "modules": sorted(m for m in sys.modules if m.startswith("mediamill.processors.")),
                  "heavy": sorted(m for m in ("sqlalchemy", "numpy", "pypdf", "pyvips", "httpx") if m in sys.modules)}))
'''


def test_metadata_and_one_task_load_without_importing_the_other_families():
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MEDIAMILL_")},
           "MEDIAMILL_CONFIG": "/nonexistent/mediamill.toml"}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["names"] == sorted(spec.name for spec in builtin_specs())
    assert seen["asset_queue"] == "assets"
    assert seen["task"] == "file.inspect"
    assert seen["modules"] == ["mediamill.processors.files"]  # only the module of the task looked up
    assert seen["heavy"] == []

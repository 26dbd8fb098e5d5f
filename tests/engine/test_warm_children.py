"""Task processes start warm: forked from a fork server that imported their task modules once.

Run in a fresh interpreter (the fork server is one per process, started with the first task process's
preload list), on a task module written here and found through PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MODULE = '''
import os

from mediamill.tasks import task

IMPORTED_IN = os.getpid()  # the process that ran this import: the fork server, not the task process


@task("warmtest.where", queue="warmtest", isolation="process")
def where(ctx, params) -> dict:
    return {"imported_in": IMPORTED_IN, "pid": os.getpid()}
'''

SCRIPT = '''
import asyncio, json, sys
from mediamill.engine.call import Call, Callbacks
from mediamill.engine.pool import ProcessPool
from mediamill.settings import Settings
from mediamill.tasks.context import JobInfo
from mediamill.tasks.registry import add_task_sources

async def main():
    add_task_sources(["warm_tasks"])
    pool = ProcessPool(Settings(data_dir=sys.argv[1]))
    pool.warm_up(["warmtest"])
    seen = []
    for n in range(2):
        call = Call(job=JobInfo(job_id=f"warm-{n}", task="warmtest.where", queue="warmtest"), params={},
                    inputs=[], scratch=sys.argv[1], ttl_hours=None, limits={}, timeout_s=60)
        seen.append(await pool.run("warmtest", call, Callbacks(lambda *a: None, lambda *a: None), asyncio.Event()))
        for child in pool.idle["warmtest"]:  # a crash: the next job gets a new task process
            child.kill()
    pool.close()
    print(json.dumps(seen))

asyncio.run(main())
'''


def test_task_processes_are_forked_from_a_server_that_imported_their_module_once(tmp_path: Path):
    (tmp_path / "warm_tasks.py").write_text(MODULE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
           "MEDIAMILL_CONFIG": "/nonexistent/mediamill.toml"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "data")], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    first, second = json.loads(done.stdout.splitlines()[-1])
    assert first["pid"] != second["pid"]  # two task processes (the first was killed)
    # Neither imported the module itself: both inherited it from the one process that did.
    assert first["imported_in"] == second["imported_in"]
    assert first["imported_in"] not in (first["pid"], second["pid"])


ENV_MODULE = '''
import os

from mediamill.tasks import task


@task("warmtest.env", queue="warmtest", isolation="process")
def env(ctx, params) -> dict:
    return {"value": os.environ.get("MM_WARM_TEST_VALUE")}
'''

ENV_SCRIPT = '''
import asyncio, json, os, sys
from mediamill.engine.call import Call, Callbacks
from mediamill.engine.pool import ProcessPool
from mediamill.settings import Settings
from mediamill.tasks.context import JobInfo
from mediamill.tasks.registry import add_task_sources

async def main():
    add_task_sources(["warm_env_tasks"])
    pool = ProcessPool(Settings(data_dir=sys.argv[1]))
    seen = []
    for value in ("first", "second"):
        os.environ["MM_WARM_TEST_VALUE"] = value  # changed after the fork server started
        call = Call(job=JobInfo(job_id=f"env-{value}", task="warmtest.env", queue="warmtest"), params={},
                    inputs=[], scratch=sys.argv[1], ttl_hours=None, limits={}, timeout_s=60)
        seen.append(await pool.run("warmtest", call, Callbacks(lambda *a: None, lambda *a: None), asyncio.Event()))
        for child in pool.idle["warmtest"]:
            child.kill()
    pool.close()
    print(json.dumps(seen))

asyncio.run(main())
'''


def test_a_task_process_sees_its_workers_environment_of_now_not_the_fork_servers(tmp_path: Path):
    (tmp_path / "warm_env_tasks.py").write_text(ENV_MODULE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
           "MEDIAMILL_CONFIG": "/nonexistent/mediamill.toml"}
    done = subprocess.run([sys.executable, "-c", ENV_SCRIPT, str(tmp_path / "data")], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [{"value": "first"}, {"value": "second"}]


MAIN_SCRIPT = '''
import os, sys
with open(sys.argv[2], "a") as runs:  # every run of this file, whatever its __name__
    runs.write(f"{os.getpid()} {__name__}\\n")
''' + SCRIPT.replace("asyncio.run(main())", 'if __name__ == "__main__":\n    asyncio.run(main())')


def test_a_task_process_does_not_run_its_workers_main_script_again(tmp_path: Path):
    """A worker's main is a script (`mediamill`, the console script): its task processes run calls,
    not that script, which for `mediamill worker` imported the whole CLI into every task process."""
    (tmp_path / "warm_tasks.py").write_text(MODULE)
    script, runs = tmp_path / "worker_main.py", tmp_path / "runs.txt"
    script.write_text(MAIN_SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
           "MEDIAMILL_CONFIG": "/nonexistent/mediamill.toml"}
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "data"), str(runs)], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    first, second = json.loads(done.stdout.splitlines()[-1])
    assert first["pid"] != second["pid"]
    # One run: the worker's own, as __main__; before, each task process ran it again as __mp_main__.
    assert [line.split()[1] for line in runs.read_text().splitlines()] == ["__main__"]


FORKED_MODULE = '''
import os

import mediamill.settings
from mediamill.tasks import task

IMPORTED_IN = os.getpid()


@task("warmtest.marker", queue="warmtest", isolation="process")
def marker(ctx, params) -> dict:
    return {"marker": getattr(mediamill.settings, "WORKER_MARKER", None), "imported_in": IMPORTED_IN,
            "pid": os.getpid()}
'''

FORKED_SCRIPT = '''
import asyncio, json, os, sys
import mediamill.settings
mediamill.settings.WORKER_MARKER = "set in the worker before the server started"
from mediamill.engine.call import Call, Callbacks
from mediamill.engine.pool import ProcessPool
from mediamill.engine.task_server import start_task_server
from mediamill.settings import Settings
from mediamill.tasks.context import JobInfo
from mediamill.tasks.registry import add_task_sources

add_task_sources(["warm_forked_tasks"])
start_task_server(["warm_forked_tasks"])  # as `mediamill worker` does, before any other thread

async def main():
    pool = ProcessPool(Settings(data_dir=sys.argv[1]))
    seen = []
    for n in range(2):
        call = Call(job=JobInfo(job_id=f"fork-{n}", task="warmtest.marker", queue="warmtest"), params={},
                    inputs=[], scratch=sys.argv[1], ttl_hours=None, limits={}, timeout_s=60)
        seen.append(await pool.run("warmtest", call, Callbacks(lambda *a: None, lambda *a: None), asyncio.Event()))
        for child in pool.idle["warmtest"]:
            child.kill()
    pool.close()
    print(json.dumps({"worker": os.getpid(), "seen": seen}))

asyncio.run(main())
'''


def test_the_worker_commands_fork_server_is_a_fork_of_the_worker_with_its_imports(tmp_path: Path):
    """`start_task_server` before any thread: the server is forked from the worker, so it starts with
    the worker's modules (a marker set on one of them is there) instead of importing them again."""
    (tmp_path / "warm_forked_tasks.py").write_text(FORKED_MODULE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
           "MEDIAMILL_CONFIG": "/nonexistent/mediamill.toml"}
    done = subprocess.run([sys.executable, "-c", FORKED_SCRIPT, str(tmp_path / "data")], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.splitlines()[-1])
    first, second = out["seen"]
    assert first["marker"] == second["marker"] == "set in the worker before the server started"
    assert first["pid"] != second["pid"]
    # Both task processes come from the one server, which imported their module once.
    assert first["imported_in"] == second["imported_in"] not in (first["pid"], second["pid"], out["worker"])

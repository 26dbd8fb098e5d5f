"""Many runs at once, a worker killed mid-run, user pipelines from a directory and from the database."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pipeline_helpers import wait_run

from mediamill.errors import BadInput
from mediamill.pipelines.catalog import get_pipeline, load_catalog, register_pipeline
from mediamill.pipelines.spec import parse_spec

THREE = """
name: three
inputs:
  n: {kind: text}
steps:
  a: {task: test.echo, params: {value: "${inputs.n}", files: 1}}
  b: {task: test.echo, use: [steps.a.result.files], params: {value: "${steps.a.result.value}"}}
  c: {task: test.echo, params: {value: "${steps.b.result.texts}"}}
outputs:
  n: ${steps.b.result.value}
  text: ${steps.c.result.value}
"""


@pytest.mark.slow
async def test_hundred_concurrent_runs_complete_with_correct_outputs(coordinator, worker):
    spec = parse_spec(THREE)
    async with worker(["analytics"]):
        runs = await asyncio.gather(*(coordinator.start(spec, {"n": f"run-{i}"}, {}) for i in range(100)))
        finals = [await wait_run(coordinator, run.id, timeout=240) for run in runs]
    assert [f.state for f in finals] == ["completed"] * 100
    for i, final in enumerate(finals):
        assert final.outputs["n"] == f"run-{i}"
        assert final.outputs["text"][0].startswith("item 0 of ")


def _worker_process(data_dir: Path) -> subprocess.Popen:
    env = dict(os.environ, MEDIAMILL_DATA_DIR=str(data_dir), MEDIAMILL_TASK_MODULES="pipeline_test_tasks",
               PYTHONPATH=str(Path(__file__).parent), MEDIAMILL_LOG_LEVEL="warning",
               MEDIAMILL_QUEUES__ANALYTICS__LOCK_DURATION_MS="2000",
               MEDIAMILL_QUEUES__ANALYTICS__STALLED_INTERVAL_MS="1000",
               MEDIAMILL_QUEUES__ANALYTICS__BACKOFF_MS="50")
    return subprocess.Popen([sys.executable, "-m", "mediamill", "worker", "--queues", "analytics"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
async def test_run_survives_a_worker_killed_mid_step(coordinator, settings):
    spec = parse_spec("""
name: survivor
steps:
  first: {task: test.echo, params: {value: 1}}
  slow: {task: test.sleep, after: [first], params: {seconds: 3}}
  last: {task: test.echo, after: [slow], params: {value: "${steps.slow.result.slept}"}}
outputs:
  slept: ${steps.last.result.value}
""")
    doomed = _worker_process(settings.data_dir)
    rescuer = None
    try:
        run = await coordinator.start(spec, {}, {})
        for _ in range(400):
            status = await coordinator.status(run.id)
            if next(s for s in status.steps if s.name == "slow").state == "active":
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the slow step never started")
        await asyncio.sleep(0.5)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        rescuer = _worker_process(settings.data_dir)
        final = await wait_run(coordinator, run.id, timeout=90)
    finally:
        for process in (doomed, rescuer):
            if process and process.poll() is None:
                process.terminate()
                process.wait(20)
    assert final.state == "completed", final.error
    assert final.outputs == {"slept": 3.0}


def test_user_pipelines_from_a_directory_and_the_database(settings, tmp_path):
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "mine.yaml").write_text("name: mine\nsteps:\n  a: {task: test.echo}\n")
    (folder / "broken.yaml").write_text("name: broken\nsteps:\n  a: {task: not.there}\n")
    local = settings.model_copy(update={"pipelines_dir": folder})
    catalog = load_catalog(local)
    assert catalog["mine"].available and catalog["mine"].source == "dir"
    assert catalog["broken"].missing_tasks == ["not.there"]
    assert "asset-ingest" in catalog  # the shipped catalog is still there
    with pytest.raises(BadInput, match="unavailable: tasks not installed: not.there"):
        get_pipeline(local, "broken")
    register_pipeline(settings, "name: stored\nsteps:\n  a: {task: test.echo, params: {value: 2}}\n")
    assert get_pipeline(settings, "stored").steps["a"].params == {"value": 2}
    with pytest.raises(BadInput, match="unknown task"):
        register_pipeline(settings, "name: bad\nsteps:\n  a: {task: nope.nope}\n")

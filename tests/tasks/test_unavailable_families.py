"""A task family whose import fails is reported, by the registry, `mediamill tasks` and a starting worker."""

from __future__ import annotations

import json
import signal
import time

import httpx
import pytest
from broken_family import FAMILY, MISSING, mediamill_process

from mediamill.api.main import create_app
from mediamill.db.session import close_database
from mediamill.errors import NotFound
from mediamill.tasks.registry import get_task, load_tasks, unavailable_families


def test_the_broken_module_is_recorded_and_its_siblings_still_load(broken_family):
    tasks = load_tasks()
    assert tasks["brokentest.fine"].queue == "analytics"
    assert "brokentest.lost" not in tasks
    assert unavailable_families() == {f"{FAMILY}.needs_lib": f"ModuleNotFoundError: {MISSING}"}
    with pytest.raises(NotFound):
        get_task("brokentest.lost")


def test_a_source_that_does_not_exist_is_unavailable_too(broken_family):
    from mediamill.tasks.registry import add_task_sources

    add_task_sources(["mm_no_such_task_module"])
    assert unavailable_families()["mm_no_such_task_module"].startswith("ModuleNotFoundError")


def test_mediamill_tasks_lists_unavailable_families(family_dir, data_dir):
    process = mediamill_process(["tasks", "--json"], family_dir, data_dir)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    names = [row["name"] for row in json.loads(out)]
    assert "brokentest.fine" in names and "file.inspect" in names
    assert f"unavailable: {FAMILY}.needs_lib: ModuleNotFoundError: {MISSING}" in err


def test_a_worker_says_at_start_that_its_queue_has_no_available_task(family_dir, data_dir):
    worker = mediamill_process(["worker", "--queues", "brokenq"], family_dir, data_dir,
                               MEDIAMILL_QUEUES__BROKENQ__CONCURRENCY="1")
    lines = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = worker.stderr.readline()
            if not line:
                break
            lines.append(json.loads(line) if line.startswith("{") else {"event": line})
            if lines[-1].get("event") == "worker started":
                break
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    idle = [line for line in lines if line.get("event", "").startswith("queue has no available task")]
    assert idle, lines
    assert idle[0]["level"] == "error" and idle[0]["queue"] == "brokenq"
    assert idle[0]["unavailable"] == {f"{FAMILY}.needs_lib": f"ModuleNotFoundError: {MISSING}"}


async def get_json(settings, path: str):
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
                response = await http.get(path)
                assert response.status_code == 200, response.text
                return response.json()
    finally:
        close_database(settings)


async def test_the_api_lists_unavailable_families_with_their_error(broken_family, settings):
    listed = await get_json(settings, "/v1/tasks/unavailable")
    assert listed == [{"module": f"{FAMILY}.needs_lib", "error": f"ModuleNotFoundError: {MISSING}"}]
    names = [task["name"] for task in await get_json(settings, "/v1/tasks")]
    assert "brokentest.fine" in names and "brokentest.lost" not in names


async def test_nothing_is_unavailable_in_a_complete_installation(settings):
    assert await get_json(settings, "/v1/tasks/unavailable") == []

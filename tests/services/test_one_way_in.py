"""One way in: the same job through HTTP, the CLI and the Python client is checked, refused and
recorded the same way, because all three call services.jobs.submit_job."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys

import httpx
import pytest

from mediamill.api.main import create_app
from mediamill.db import open_database
from mediamill.db.repositories import jobs as job_records
from mediamill.db.session import close_database
from mediamill.engine.broker import Broker
from mediamill.errors import BadInput

BAD_JOBS = {
    "private-url-input": {"task": "file.inspect", "inputs": ["http://169.254.169.254/latest/meta-data/"]},
    "bad-param": {"task": "file.inspect", "params": {"text_preview_chars": -1}, "inputs": ["ARTIFACT"]},
    "unknown-task": {"task": "no.such", "inputs": ["ARTIFACT"]},
}


@contextlib.asynccontextmanager
async def http_api(settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            yield http
    close_database(settings)


def cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MEDIAMILL_DATA_DIR": str(settings.data_dir), "MEDIAMILL_LOG_LEVEL": "warning"}
    return subprocess.run([sys.executable, "-m", "mediamill", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def cli_args(job: dict) -> list[str]:
    args = ["submit", job["task"], "--json", "--params", json.dumps(job.get("params", {}))]
    for item in job.get("inputs", []):
        args += ["--input", item]
    return args


def with_artifact(job: dict, artifact_id: str) -> dict:
    return {**job, "inputs": [artifact_id if item == "ARTIFACT" else item for item in job.get("inputs", [])]}


def recorded(settings) -> list:
    with open_database(settings).session() as session:
        return job_records.list_recent(session, limit=50)


async def submit_everywhere(settings, client, job: dict) -> dict:
    """(error type, message, field) or the job id, per edge; the CLI prints only the message."""
    outcomes = {}
    async with http_api(settings) as api:
        body = {**job, "inputs": [{"artifact": i} if i.startswith("art_") else {"url": i} for i in job["inputs"]]}
        response = await api.post("/v1/jobs", json=body)
        answer = response.json()
        outcomes["http"] = (answer["error"], answer["message"], answer.get("field")) \
            if response.status_code == 422 else answer["id"]
        try:
            handle = await client.submit(job["task"], job.get("params"), job["inputs"])
            outcomes["client"] = handle.id
        except BadInput as exc:
            outcomes["client"] = (type(exc).__name__, exc.message, exc.field)
        done = await asyncio.to_thread(cli, settings, *cli_args(job))
        if done.returncode == 0:
            outcomes["cli"] = json.loads(done.stdout)["id"]
        else:
            assert done.returncode == 2, done.stderr  # 2: bad input
            outcomes["cli"] = done.stderr.strip().removeprefix("error: ")
        await client.close()  # flushes the client's records; the API's flush when it closes
    return outcomes


@pytest.mark.parametrize("name", list(BAD_JOBS))
async def test_the_same_bad_job_is_refused_alike_by_http_the_cli_and_the_client(name, settings, client):
    artifact = await client.upload(b"hello\n", "hello.txt")
    job = with_artifact(BAD_JOBS[name], artifact.id)

    outcomes = await submit_everywhere(settings, client, job)

    error, message, field = outcomes["http"]
    assert error == "BadInput" and field in ("inputs", "params", "task"), outcomes
    assert outcomes["client"] == outcomes["http"]
    assert " ".join(outcomes["cli"].split()) == message  # the terminal may wrap the line
    # Nothing was enqueued or recorded, from any edge.
    assert recorded(settings) == []
    broker = Broker(settings)
    try:
        waiting = {name: counts["waiting"] + counts["delayed"] for name, counts in (await broker.counts()).items()}
    finally:
        await broker.close()
    assert set(waiting.values()) == {0}, waiting


async def test_the_same_good_job_is_recorded_alike_at_submit_by_every_edge(settings, client):
    artifact = await client.upload(b"hello\n", "hello.txt")
    job = {"task": "file.inspect", "params": {"text_preview_chars": 3}, "inputs": [artifact.id]}

    outcomes = await submit_everywhere(settings, client, job)

    ids = {edge: outcomes[edge] for edge in ("http", "client", "cli")}
    assert all(isinstance(value, str) and value.startswith("job_") for value in ids.values()), outcomes
    # No worker ran: each row was written at submit, and all three say the same.
    rows = {row.id: row for row in recorded(settings)}
    assert set(rows) == set(ids.values())
    facts = {(r.task, r.queue, r.state, r.attempts, r.max_attempts, json.dumps(r.params), json.dumps(r.inputs),
              r.notify_url, r.run) for r in rows.values()}
    assert facts == {("file.inspect", "assets", "queued", 0, rows[ids["http"]].max_attempts,
                      '{"text_preview_chars": 3}', json.dumps([{"artifact": artifact.id}]), None, None)}

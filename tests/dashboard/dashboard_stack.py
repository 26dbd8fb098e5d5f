"""A real stack for the dashboard tests (embedded Redis, worker, uvicorn serving the API with the dashboard)
on a background event loop, and the real work it is seeded with (jobs, a failing pipeline run, artifacts)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "pipelines"))
import dashboard_tasks  # noqa: E402,F401 - registers test.media
import pipeline_test_tasks  # noqa: E402,F401 - registers test.echo, test.fail, test.sleep

from mediamill.settings import Settings  # noqa: E402
from mediamill.testing import free_port  # noqa: E402

PIPELINE = {
    "name": "dash-demo",
    "description": "media, then a summary, and a step that fails",
    "steps": {
        "make": {"task": "test.media", "params": {"title": "pipeline media", "seconds": 2}},
        "summary": {"task": "test.echo", "params": {"value": "summary of ${steps.make.result.title}"},
                    "after": ["make"]},
        "broken": {"task": "test.fail", "after": ["make"]},
        "publish": {"task": "test.echo", "params": {"value": "never"}, "after": ["summary", "broken"]},
    },
}


@dataclass
class Stack:
    """The served dashboard and a way to run coroutines on the stack's own event loop."""

    settings: Settings
    base_url: str
    loop: asyncio.AbstractEventLoop
    services: object = None
    seeded: dict = field(default_factory=dict)

    def call(self, coro, timeout: float = 120):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def url(self, path: str) -> str:
        return self.base_url + path

    def wait_job(self, job_id: str, timeout: float = 60) -> dict:
        from mediamill.services.jobs import get_job, is_final

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            view = self.call(get_job(self.services, job_id))
            if is_final(view["status"]):
                return view
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} did not finish in {timeout} s")

    def flush_records(self, job_ids: list[str], timeout: float = 20) -> None:
        """Wait until the batched record writer has every job's final state in the database."""
        from mediamill.db.models.jobs import FINAL_STATES, JobRecord

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.services.database.session() as session:
                states = [getattr(session.get(JobRecord, j), "state", None) for j in job_ids]
            if all(state in FINAL_STATES for state in states):
                return
            time.sleep(0.1)
        raise AssertionError(f"records not final: {states}")


def _settings(data_dir: Path) -> Settings:
    queues = {name: {"backoff_ms": 50} for name in Settings().policies()}
    queues["analytics"] = {"backoff_ms": 50, "concurrency": 8}
    # queue_metrics_minutes: the overview's sparkline reads BullMQ's own metrics keys, filled by the real jobs.
    return Settings(data_dir=data_dir, log_format="json", log_level="warning", shutdown_grace_s=5, queues=queues,
                    webhook_secret="never-shown-secret", queue_metrics_minutes=120)


@contextlib.contextmanager
def running_stack(data_dir: Path):
    """Worker (queues analytics and cleanup) and uvicorn (API + dashboard) on one background loop."""
    import uvicorn

    from mediamill.api.main import create_app
    from mediamill.dashboard import mount
    from mediamill.db.session import close_database
    from mediamill.engine.connection import release_embedded
    from mediamill.serve import build_worker
    from mediamill.services.context import Services

    settings = _settings(data_dir)
    port = free_port()
    settings = settings.model_copy(update={"api_port": port})
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True, name="dashboard-stack")
    thread.start()
    stack = Stack(settings=settings, base_url=f"http://127.0.0.1:{port}", loop=loop)
    worker = build_worker(settings, ["analytics", "cleanup"])  # cleanup: it registers the schedulers
    stack.call(worker.start())
    server = uvicorn.Server(uvicorn.Config(mount(create_app(settings)), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on", access_log=False))
    serving = asyncio.run_coroutine_threadsafe(server.serve(), loop)
    deadline = time.monotonic() + 30
    while not server.started:
        if serving.done() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start: {serving.exception() if serving.done() else 'timeout'}")
        time.sleep(0.02)
    stack.services = stack.call(Services.open(settings))
    try:
        yield stack
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            serving.result(20)
        stack.call(stack.services.close())
        stack.call(worker.stop(grace_s=5))
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        close_database(settings)
        release_embedded(settings)


def seed(stack: Stack) -> dict:
    """Real work: jobs that complete (a searchable word in one's params), jobs that fail, a media job,
    and a pipeline run with a failed step."""
    from mediamill.pipelines.catalog import register_pipeline
    from mediamill.services import runs as run_service
    from mediamill.services.jobs import submit_job

    services = stack.services
    ok = [stack.call(submit_job(services, {"task": "test.echo", "params": {"value": f"harmless {i}"}}))["id"] for i in range(3)]
    word = stack.call(submit_job(services, {"task": "test.echo", "params": {"value": "the zanzibar word"}}))["id"]
    failed = [stack.call(submit_job(services, {"task": "test.fail", "params": {}}))["id"] for _ in range(3)]
    media = stack.call(submit_job(services, {"task": "test.media", "params": {"title": "standalone media"}}))["id"]
    register_pipeline(stack.settings, PIPELINE)

    async def start_run():
        from mediamill.pipelines.catalog import get_pipeline

        spec = get_pipeline(stack.settings, "dash-demo")
        status = await run_service.coordinator(services).start(spec, {}, {})
        return (await run_service.coordinator(services).wait(status.id, timeout=90)).id

    run_id = stack.call(start_run())
    everything = ok + [word, media] + failed
    for job_id in everything:
        stack.wait_job(job_id)
    stack.flush_records(everything)
    return {"ok": ok, "word": word, "failed": failed, "media": media, "run": run_id}

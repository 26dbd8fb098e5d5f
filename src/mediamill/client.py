"""The Python client: submit tasks, watch and wait for them, fetch their outputs (async and sync)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from mediamill.composition import install_tasks
from mediamill.engine.broker import Broker
from mediamill.engine.jobs import JobState, JobStatus
from mediamill.engine.wire import JobRequest
from mediamill.errors import BadInput, JobFailed
from mediamill.services.artifacts import store_upload
from mediamill.services.context import Services
from mediamill.services.jobs import submit_job
from mediamill.settings import Settings, get_settings
from mediamill.storage import open_store
from mediamill.storage.artifact import Artifact
from mediamill.storage.refs import InputRef, parse_input

T = TypeVar("T")


class AsyncJobHandle:
    def __init__(self, client: AsyncClient, job_id: str, queue: str | None = None) -> None:
        self.client, self.id, self.queue = client, job_id, queue

    def __repr__(self) -> str:
        return f"<JobHandle {self.id} queue={self.queue}>"

    async def status(self) -> JobStatus:
        return await self.client.broker.status(self.id, self.queue)

    async def wait(self, timeout: float | None = None, on_update=None) -> JobStatus:
        return await self.client.broker.wait(self.id, timeout, self.queue, on_update=on_update)

    async def result(self, timeout: float | None = None) -> Any:
        """The job's result; raises JobFailed if it failed or was cancelled."""
        status = await self.wait(timeout)
        if status.state != JobState.completed:
            reason = status.error.message if status.error else status.state.value
            raise JobFailed(f"job {self.id} {status.state.value}: {reason}", status=status)
        return status.result

    async def cancel(self) -> JobStatus:
        return await self.client.broker.cancel(self.id)


class AsyncClient:
    """Submits through the same service as the HTTP API: the same checks, record and errors."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        install_tasks(self.settings)
        self.broker = Broker(self.settings)
        self.store = open_store(self.settings)
        self._services: Services | None = None

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def services(self) -> Services:
        """The services (database, records) opened on first need: watching a job needs only Redis."""
        if self._services is None:
            self._services = await Services.open(self.settings, broker=self.broker, store=self.store)
        return self._services

    async def close(self) -> None:
        if self._services is not None:
            await self._services.close()  # flushes the records written at submit; closes the broker
        else:
            await self.broker.close()

    async def upload(self, source: Path | str | bytes, name: str | None = None) -> Artifact:
        if isinstance(source, str | Path):
            path = Path(source)
            if not path.is_file():
                raise BadInput(f"no such file: {path}", field="inputs")
            source, name = path, name or path.name
        return await asyncio.to_thread(store_upload, await self.services(), source, name)

    async def _as_input(self, item: Any) -> InputRef:
        """An input reference; a local file (a Path, or a string that is no reference) is uploaded first."""
        if isinstance(item, Path):
            return parse_input(await self.upload(item))
        try:
            return parse_input(item)
        except BadInput:
            if isinstance(item, str):
                return parse_input(await self.upload(item))
            raise

    async def submit(self, task: str, params: dict | None = None, inputs: list | None = None, *,
                     notify_url: str | None = None, priority: int | None = None) -> AsyncJobHandle:
        """Queue a task (services.jobs.submit_job); local file paths among the inputs are uploaded first."""
        refs = [await self._as_input(item) for item in (inputs or [])]
        request = JobRequest.parse({"task": task, "params": {} if params is None else params, "inputs": refs,
                                    "notify_url": notify_url, "priority": priority})
        view = await submit_job(await self.services(), request)
        return AsyncJobHandle(self, view["id"], view["queue"])

    def job(self, job_id: str) -> AsyncJobHandle:
        return AsyncJobHandle(self, job_id)

    def artifact(self, artifact_id: str) -> Artifact:
        return self.store.stat(artifact_id)

    def save_artifact(self, artifact_id: str, target: Path) -> Path:
        return self.store.copy_to(artifact_id, target)


class _LoopThread:
    """A private event loop in a daemon thread, so sync callers can use the async client."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="mediamill-client")
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


class JobHandle:
    def __init__(self, client: Client, handle: AsyncJobHandle) -> None:
        self._client, self._handle = client, handle
        self.id, self.queue = handle.id, handle.queue

    def __repr__(self) -> str:
        return f"<JobHandle {self.id} queue={self.queue}>"

    def status(self) -> JobStatus:
        return self._client._run(self._handle.status())

    def wait(self, timeout: float | None = None) -> JobStatus:
        return self._client._run(self._handle.wait(timeout))

    def result(self, timeout: float | None = None) -> Any:
        return self._client._run(self._handle.result(timeout))

    def cancel(self) -> JobStatus:
        return self._client._run(self._handle.cancel())


class Client:
    """Synchronous client: `Client().submit("file.inspect", inputs=["photo.jpg"]).result()`."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._loop = _LoopThread()
        self._async = self._loop.run(_make_async_client(settings))

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run(coro)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._run(self._async.close())
        self._loop.stop()

    @property
    def settings(self) -> Settings:
        return self._async.settings

    def upload(self, source: Path | str | bytes, name: str | None = None) -> Artifact:
        return self._run(self._async.upload(source, name))

    def submit(self, task: str, params: dict | None = None, inputs: list | None = None, *,
               notify_url: str | None = None, priority: int | None = None) -> JobHandle:
        handle = self._async.submit(task, params, inputs, notify_url=notify_url, priority=priority)
        return JobHandle(self, self._run(handle))

    def job(self, job_id: str) -> JobHandle:
        return JobHandle(self, self._async.job(job_id))

    def artifact(self, artifact_id: str) -> Artifact:
        return self._async.artifact(artifact_id)

    def save_artifact(self, artifact_id: str, target: Path) -> Path:
        return self._async.save_artifact(artifact_id, target)


async def _make_async_client(settings: Settings | None) -> AsyncClient:
    return AsyncClient(settings)

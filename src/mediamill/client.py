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
from mediamill.errors import BadInput, JobFailed
from mediamill.settings import Settings, get_settings
from mediamill.storage import open_store
from mediamill.storage.artifact import Artifact, is_artifact_id

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
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        install_tasks(self.settings)
        self.broker = Broker(self.settings)
        self.store = open_store(self.settings)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.broker.close()

    async def upload(self, source: Path | str | bytes, name: str | None = None) -> Artifact:
        if isinstance(source, str | Path):
            path = Path(source)
            if not path.is_file():
                raise BadInput(f"no such file: {path}", field="inputs")
            name = name or path.name
        return await asyncio.to_thread(self.store.put, source, name=name,
                                       max_bytes=self.settings.limits.max_upload_bytes)

    async def _as_input(self, item: Any) -> Any:
        if isinstance(item, Path) or (isinstance(item, str) and not is_artifact_id(item) and "://" not in item):
            return (await self.upload(item)).id
        return item

    async def submit(self, task: str, params: dict | None = None, inputs: list | None = None,
                     **options: Any) -> AsyncJobHandle:
        """Queue a task; local file paths among the inputs are uploaded first."""
        refs = [await self._as_input(item) for item in (inputs or [])]
        status = await self.broker.submit(task, params, refs, **options)
        return AsyncJobHandle(self, status.id, status.queue)

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

    def submit(self, task: str, params: dict | None = None, inputs: list | None = None, **options: Any) -> JobHandle:
        return JobHandle(self, self._run(self._async.submit(task, params, inputs, **options)))

    def job(self, job_id: str) -> JobHandle:
        return JobHandle(self, self._async.job(job_id))

    def artifact(self, artifact_id: str) -> Artifact:
        return self._async.artifact(artifact_id)

    def save_artifact(self, artifact_id: str, target: Path) -> Path:
        return self._async.save_artifact(artifact_id, target)


async def _make_async_client(settings: Settings | None) -> AsyncClient:
    return AsyncClient(settings)

"""The worker hook that tells the coordinator when a pipeline step job starts and finishes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mediamill.engine.middleware import Middleware, RunningJob


class PipelineMiddleware(Middleware):
    def __init__(self, settings) -> None:
        self.settings = settings
        self._coordinator = None

    @property
    def coordinator(self):
        if self._coordinator is None:
            # Imported with the first pipeline step: a worker's start does not pay for the coordinator
            # and the database layer under it.
            from mediamill.pipelines.coordinator import Coordinator

            self._coordinator = Coordinator(self.settings)
        return self._coordinator

    @staticmethod
    def _data(job: RunningJob) -> dict | None:
        data = job.bull_job.data
        return data if isinstance(data, dict) and data.get("run") and data.get("step") else None

    async def after_job(self, job: RunningJob, result: Any | None, error: BaseException | None) -> None:
        data = self._data(job)
        if data and job.final:
            started_ms = job.bull_job.processedOn
            started = datetime.fromtimestamp(started_ms / 1000, UTC) if started_ms else None
            await self.coordinator.on_job_finished(data, job.info.job_id, job.info.attempt, result, error, started)

    async def on_worker_stop(self, worker: Any) -> None:
        if self._coordinator is not None:
            await self._coordinator.close()

"""TaskContext: what a processor gets besides its params (progress, logs, artifacts, scratch, cancel)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from mediamill.errors import BadInput, Cancelled, JobTimeout
from mediamill.security import Limits
from mediamill.storage.artifact import Artifact, utcnow
from mediamill.storage.base import ArtifactStore, Source

_KEEP = object()


class Reporter(Protocol):
    """Where progress and log lines go (a BullMQ job, a pipe to the worker, a test list)."""

    def progress(self, percent: float, step: str | None) -> None: ...

    def log(self, message: str, fields: dict) -> None: ...


# In an attempt's scratch directory: the id of every artifact the attempt stored, one a line.
OUTPUTS_LIST = ".outputs"


@dataclass(frozen=True)
class JobInfo:
    job_id: str
    task: str
    queue: str
    attempt: int = 1
    run: str | None = None
    step: str | None = None
    timeout_s: float | None = None
    # This attempt's hold on the job (BullMQ's lock token), unique per claim: a worker that was cut
    # off and a worker that took its job over have different claims, so their outputs never share ids.
    claim: str | None = None


class TaskContext:
    # Progress lines closer together than this are coalesced (a step change always goes out).
    PROGRESS_INTERVAL_S = 0.25

    def __init__(
        self,
        *,
        job: JobInfo,
        store: ArtifactStore,
        scratch: Path,
        inputs: Sequence[Artifact] = (),
        reporter: Reporter | None = None,
        limits: Limits | Mapping[str, Any] | None = None,
        ttl_hours: float | None = 24.0,
        cancel_event: threading.Event | None = None,
        deadline: float | None = None,
        settings: Any = None,
    ) -> None:
        self.job = job
        # The worker's settings (database URL, secrets, provider keys); None when called bare.
        self.settings = settings
        self.store = store
        self.scratch = scratch
        self.inputs = list(inputs)
        self._limits = limits
        self.ttl_hours = ttl_hours
        self._reporter = reporter
        self._cancel = cancel_event or threading.Event()
        self._deadline = deadline
        self._last_progress = (-1.0, None, 0.0)
        self.current_step: str | None = None

    @property
    def limits(self) -> Limits:
        """The input limits; given as their wire form (a dict), they are validated on first use:
        most processors never read them, and validating per job cost a no-op job 4 us (measured)."""
        limits = self._limits
        if not isinstance(limits, Limits):
            limits = self._limits = Limits.model_validate(limits) if limits else Limits()
        return limits

    @limits.setter
    def limits(self, value: Limits) -> None:
        self._limits = value

    # -- progress and logs ---------------------------------------------------------------
    def progress(self, percent: float, step: str | None = None) -> None:
        """Report progress (0-100) and, optionally, the name of the step now running."""
        percent = max(0.0, min(100.0, float(percent)))
        step = step or self.current_step
        self.current_step = step
        last_percent, last_step, last_time = self._last_progress
        now = time.monotonic()
        if step == last_step and percent < 100 and now - last_time < self.PROGRESS_INTERVAL_S:
            return
        if step == last_step and percent == last_percent:
            return
        self._last_progress = (percent, step, now)
        if self._reporter:
            self._reporter.progress(round(percent, 1), step)

    def log(self, message: str, **fields: Any) -> None:
        if self._reporter:
            self._reporter.log(message, fields)

    # -- cancellation and deadline -------------------------------------------------------
    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise if the job was cancelled or ran out of time; call it between units of work."""
        if self._cancel.is_set():
            raise Cancelled(f"job {self.job.job_id} was cancelled")
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise JobTimeout(f"job {self.job.job_id} ran past its timeout of {self.job.timeout_s} s")

    # -- artifacts -----------------------------------------------------------------------
    def put(
        self,
        source: Source,
        *,
        name: str,
        mime: str | None = None,
        metadata: dict | None = None,
        source_artifact: Artifact | str | None = None,
        ttl_hours: float | None | object = _KEEP,
    ) -> Artifact:
        """Store an output. Its id follows (job, name, the attempt's claim): a second attempt of the job,
        even one that runs while a cut-off first one is still finishing, never writes over this one's."""
        hours = self.ttl_hours if ttl_hours is _KEEP else ttl_hours
        expires = utcnow() + timedelta(hours=hours) if hours else None
        parent = source_artifact.id if isinstance(source_artifact, Artifact) else source_artifact
        key = f"{self.job.run or ''}/{self.job.step or ''}/{self.job.job_id}/{name}"
        if self.job.claim:
            key += f"@{self.job.claim}"
        made = self.store.put(source, name=name, mime=mime, metadata=metadata, key=key,
                              expires_at=expires, source_artifact=parent, job=self.job.job_id)
        if self.job.claim:  # in a worker: an attempt whose result is not recorded deletes what it stored
            self.scratch.mkdir(parents=True, exist_ok=True)
            with open(self.scratch / OUTPUTS_LIST, "a") as listed:
                listed.write(made.id + "\n")
        return made

    def path(self, artifact: Artifact | str) -> Path:
        """A local file holding the artifact's bytes (read-only: never write to it)."""
        artifact_id = artifact.id if isinstance(artifact, Artifact) else artifact
        return self.store.local_path(artifact_id, scratch=self.scratch)

    def open(self, artifact: Artifact | str) -> BinaryIO:
        return self.store.open(artifact.id if isinstance(artifact, Artifact) else artifact)

    def input(self, index: int = 0) -> Artifact:
        if index >= len(self.inputs):
            raise BadInput(f"task {self.job.task} needs input #{index + 1}, got {len(self.inputs)}", field="inputs")
        return self.inputs[index]

    def scratch_file(self, name: str) -> Path:
        self.scratch.mkdir(parents=True, exist_ok=True)
        return self.scratch / name

    # -- ordered steps (imgproxy style) ---------------------------------------------------
    def run_steps(self, state: Any, steps: Sequence[tuple[str, float, Callable[[Any], Any]]]) -> Any:
        """Run named steps in order over one state; progress is weighted; cancel/deadline checked between."""
        total = sum(weight for _, weight, _ in steps) or 1.0
        done = 0.0
        for name, weight, fn in steps:
            self.check()
            self.progress(100 * done / total, name)
            fn(state)
            done += weight
        self.progress(100.0, steps[-1][0] if steps else None)
        return state


class ListReporter:
    """Collects progress and log lines (handy when calling a processor directly)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any, Any]] = []

    def progress(self, percent: float, step: str | None) -> None:
        self.events.append(("progress", percent, step))

    def log(self, message: str, fields: dict) -> None:
        self.events.append(("log", message, fields))

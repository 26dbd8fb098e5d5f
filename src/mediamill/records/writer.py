"""A background thread that coalesces record writes and flushes them every ~150 ms in one transaction.

With nothing pending it sleeps until the next write arrives (an idle worker's thread woke ~7 times a
second for nothing); the first write after a quiet spell still waits one interval, so writes batch.

Why a thread: the worker's event loop renews BullMQ locks and must never wait on a database;
why batching: one transaction per job event would cap job throughput at the database's commit rate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mediamill.logs import get_logger
from mediamill.storage.artifact import Artifact

if TYPE_CHECKING:
    from mediamill.db.session import Database

log = get_logger("mediamill.records")

FLUSH_INTERVAL_S = 0.15
# A database outage must not grow memory without bound: past this, the oldest pending rows are dropped.
MAX_PENDING = 50_000
# Consecutive failed flushes before rows are tried one at a time (and unwritable ones dropped).
POISON_AFTER = 3


class RecordWriter:
    def __init__(self, database: Database | None = None, interval_s: float = FLUSH_INTERVAL_S, *,
                 opener: Callable[[], Database] | None = None, open_after: threading.Event | None = None,
                 open_wait_s: float = 0.0) -> None:
        """`opener` instead of `database`: the thread opens it (a worker takes jobs meanwhile; what they
        write waits here until the database is open, and a database that cannot be opened is retried).
        `open_after`: the thread opens it once this is set, or after `open_wait_s`, or at `stop`."""
        self.database = database
        self._opener = opener
        self._open_after = open_after
        self._open_wait_s = open_wait_s
        self._open_failed = False
        self.interval_s = interval_s
        self._jobs: dict[str, dict] = {}
        self._created: list[dict] = []
        self._artifacts: dict[str, Artifact] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._asleep = False  # the thread waits for a write (nothing pending): the next producer wakes it
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.flushes = 0
        self._failures = 0

    # -- producers (called on the event loop: O(1), no I/O) -----------------------------------
    def job(self, job_id: str, **fields: Any) -> None:
        """Merge changed columns into the pending row of this job (later values win)."""
        with self._lock:
            row = self._jobs.get(job_id)
            if row is None:
                if len(self._jobs) >= MAX_PENDING:
                    self._jobs.pop(next(iter(self._jobs)))
                self._jobs[job_id] = {"id": job_id, **fields}
            else:
                row.update(fields)
            self._wake_if_asleep()

    def merge(self, job_id: str, fields: dict) -> None:
        """`job` for a dict built by the caller, which hands it over (the per-job hot path: no copy)."""
        with self._lock:
            row = self._jobs.get(job_id)
            if row is None:
                if len(self._jobs) >= MAX_PENDING:
                    self._jobs.pop(next(iter(self._jobs)))
                fields["id"] = job_id
                self._jobs[job_id] = fields
            else:
                row.update(fields)
            self._wake_if_asleep()

    def created(self, row: dict) -> None:
        """A job row to insert unless the job is recorded already (submissions: a worker may be first)."""
        with self._lock:
            if len(self._created) < MAX_PENDING:
                self._created.append(row)
            self._wake_if_asleep()

    def artifacts(self, artifacts: list[Artifact]) -> None:
        with self._lock:
            for artifact in artifacts:
                self._artifacts[artifact.id] = artifact
            self._wake_if_asleep()

    def _wake_if_asleep(self) -> None:
        # Under self._lock, as the thread's check of what is pending: no write falls between the two.
        if self._asleep:
            self._asleep = False
            self._wake.set()

    # -- the flusher thread --------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="mediamill-records", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Flush what is pending and stop the thread (blocking: call it from a thread)."""
        self._stopping = True
        self._wake.set()
        if self._open_after is not None:
            self._open_after.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        if self._open_after is not None:
            self._open_after.wait(self._open_wait_s)
        self._ready()
        while not self._stopping:
            with self._lock:
                # Rows kept by a failed flush or a database not open yet count: they are retried.
                self._asleep = not (self._jobs or self._created or self._artifacts)
            if self._asleep:
                self._wake.wait()  # the next write or stop
                self._wake.clear()
                if self._stopping:
                    break
            self._wake.wait(self.interval_s)  # let writes gather; stop cuts it short
            self._wake.clear()
            self.flush()

    def _ready(self) -> bool:
        if self.database is None and self._opener is not None:
            try:
                self.database = self._opener()
            except Exception as exc:  # noqa: BLE001 - rows stay pending; tried again at the next flush
                if not self._open_failed:
                    log.error("records database cannot be opened; records wait and it is tried again",
                              error=str(exc))
                self._open_failed = True
                return False
            if self._open_failed:
                log.info("records database opened")
        return self.database is not None

    def flush(self) -> int:
        """Write everything pending in one transaction; returns the number of job rows written."""
        if not self._ready():
            return 0
        from mediamill.db.repositories import artifacts as artifact_records
        from mediamill.db.repositories import jobs as job_records

        with self._lock:
            rows, self._jobs = list(self._jobs.values()), {}
            created, self._created = self._created, []
            made, self._artifacts = list(self._artifacts.values()), {}
        if not rows and not made and not created:
            return 0
        try:
            with self.database.session() as session:
                job_records.create_many_if_absent(session, created)
                job_records.upsert_many(session, rows)
                artifact_records.record(session, made)
        except Exception as exc:  # noqa: BLE001 - keep the rows and try again next time
            self._failures += 1
            if self._failures >= POISON_AFTER:
                return self._write_one_by_one(rows, made, created)
            log.warning("record flush failed; will retry", error=str(exc), rows=len(rows) + len(created))
            self._requeue(rows, made, created)
            return 0
        self._failures = 0
        self.flushes += 1
        return len(rows) + len(created)

    def _write_one_by_one(self, rows: list[dict], made: list[Artifact], created: list[dict]) -> int:
        """After repeated failures: write rows singly and drop those that fail, so one bad row cannot
        hold back every other record (a database that is down fails them all, and they are kept)."""
        from mediamill.db.repositories import artifacts as artifact_records
        from mediamill.db.repositories import jobs as job_records

        written, kept = 0, []
        items = [(job_records.create_many_if_absent, [r]) for r in created]
        items += [(job_records.upsert_many, [r]) for r in rows] + [(artifact_records.record, [a]) for a in made]
        for write, batch in items:
            try:
                with self.database.session() as session:
                    write(session, batch)
                written += 1
            except Exception as exc:  # noqa: BLE001 - judged below
                kept.append((write, batch, exc))
        if written == 0 and kept:  # nothing went through: the database itself is the problem
            self._requeue(rows, made, created)
            return 0
        for _, batch, exc in kept:
            log.error("dropping a record that cannot be written", error=str(exc), record=repr(batch)[:300])
        self._failures = 0
        self.flushes += 1
        return written

    def _requeue(self, rows: list[dict], made: list[Artifact], created: list[dict]) -> None:
        with self._lock:
            self._created[:0] = created
            for row in rows:
                newer = self._jobs.get(row["id"])
                self._jobs[row["id"]] = {**row, **newer} if newer else row
            for artifact in made:
                self._artifacts.setdefault(artifact.id, artifact)

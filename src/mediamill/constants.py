"""Every Redis key prefix, id prefix, queue name and engine default, in one place (nothing else builds keys)."""

from __future__ import annotations

# BullMQ keys look like "mediamill:<queue>:<suffix>"; Node producers must use the same prefix.
KEY_PREFIX = "mediamill"
# Pub/sub channel that carries "cancel this active job" to every worker process.
CANCEL_CHANNEL = f"{KEY_PREFIX}:control:cancel"
# A job id marked here is cancelled: workers check it before starting and while running.
CANCELLED_KEY = f"{KEY_PREFIX}:control:cancelled"
# Wrong share-link passwords per link (services/shares.py): a sorted set per link, shared by every API process.
SHARE_FAILURES_KEY = f"{KEY_PREFIX}:control:share-password-failures"
# Pub/sub channel on which the pipeline coordinator announces a run's end ({"run", "state"}).
RUNS_CHANNEL = f"{KEY_PREFIX}:control:runs"
# Sorted set of cancelled job ids scored by mark expiry: what a worker loads to know them locally.
CANCELLED_INDEX_KEY = f"{KEY_PREFIX}:control:cancelled-index"
# Worker heartbeats, for `mediamill queues` (who is serving what).
WORKERS_KEY = f"{KEY_PREFIX}:control:workers"
# The one worker process that reads the queues' event streams for stalled/removed jobs holds this lock.
EVENTS_READER_KEY = f"{KEY_PREFIX}:control:events-reader"
# Hash queue -> last event-stream id read by that reader (a new holder of the lock goes on from it).
EVENTS_CURSOR_KEY = f"{KEY_PREFIX}:control:events-cursor"
# Hash "<queue>:<event>" -> how many stalled/removed events were seen (all processes, since ever).
EVENT_COUNTS_KEY = f"{KEY_PREFIX}:control:event-counts"

# The worker that holds this lock (for one sweep interval) finishes stale job records from BullMQ's state.
RECORDS_RECONCILE_KEY = f"{KEY_PREFIX}:control:records-reconcile"

# The states a job or a pipeline run does not leave (a job's `JobState.finished`, a run's end).
FINAL_STATES = ("completed", "failed", "cancelled")

JOB_ID_PREFIX = "job_"
ARTIFACT_ID_PREFIX = "art_"

# Defaults applied to every queue unless the queue's row or the settings say otherwise.
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_MS = 2_000  # exponential: 2 s, 4 s, 8 s (the asset seed's schedule)
DEFAULT_TIMEOUT_S = 600
# A killed worker's job is taken back within ~lock + interval (<= 8 s): the lock is renewed every
# lock/4 or sooner (engine/worker.py LOCK_RENEWALS) from the worker's event loop, which CPU-bound
# work (in child processes) never blocks. The check is one script call per interval for all the
# queue's workers (BullMQ takes a stalled-check lock), so a short interval costs next to nothing;
# a short lock would cost healthy jobs on a loaded machine, so the lock stays at 6 s.
DEFAULT_LOCK_DURATION_MS = 6_000
DEFAULT_STALLED_INTERVAL_MS = 2_000
# How often a job may be taken back from a dead worker (BullMQ's maxStalledCount) before it fails as
# a job that kills its workers. A budget of its own: worker deaths never spend the job's attempts.
DEFAULT_MAX_STALLS = 8
KEEP_COMPLETED = {"age": 24 * 3600, "count": 1_000}
KEEP_FAILED = {"age": 7 * 24 * 3600, "count": 5_000}
# Seconds a stopping worker lets active jobs finish before handing them back to the queue.
DEFAULT_SHUTDOWN_GRACE_S = 30

# Every queue the seeds name, with the seeds' concurrency and rate limits.
# (name, concurrency, rate limit as (jobs, per milliseconds) or None, timeout seconds)
QUEUE_TABLE: tuple[tuple[str, int, tuple[int, int] | None, int], ...] = (
    ("images", 2, None, 600),
    ("text", 3, None, 300),
    ("voiceover", 3, None, 900),
    ("captions", 2, None, 900),
    ("video", 1, None, 1_800),
    ("assets", 2, None, 600),
    ("thumbnails", 5, None, 300),
    ("variants", 3, None, 1_200),
    ("content", 3, (10, 60_000), 300),
    ("research", 2, (5, 60_000), 300),
    ("media", 2, (10, 60_000), 600),
    ("email", 10, None, 120),
    ("notifications", 10, None, 60),
    ("analytics", 5, None, 60),
    ("cleanup", 1, None, 1_800),
    ("webhooks", 10, None, 60),
)
QUEUE_NAMES: tuple[str, ...] = tuple(row[0] for row in QUEUE_TABLE)


def cancelled_key(job_id: str) -> str:
    return f"{CANCELLED_KEY}:{job_id}"


# How long a cancel mark is kept (the job may sit in a queue nobody serves for a while).
CANCEL_MARK_TTL_S = 7 * 24 * 3600


def run_lock_key(run_id: str) -> str:
    """Serialises the coordinator's decisions for one pipeline run across worker processes."""
    return f"{KEY_PREFIX}:control:runlock:{run_id}"

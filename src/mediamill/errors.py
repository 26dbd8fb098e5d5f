"""The one error tree of mediamill; each error knows its public message and HTTP status.

    MediamillError
    ├── BadInput              input no retry can fix: the job fails at once (HTTP 422)
    │   ├── LimitExceeded     a security limit (pixels, bytes, duration...) was crossed (HTTP 413)
    │   └── ExpressionError   a pipeline ${...} reference or condition that cannot be resolved
    ├── NotFound              an unknown job, artifact, task, queue or pipeline (HTTP 404)
    ├── Unauthorized          no or unknown credentials (HTTP 401)
    │   └── InvalidSignature  a webhook body whose signature or timestamp does not check out
    ├── Forbidden             credentials without the needed scope (HTTP 403)
    ├── Conflict              the thing exists or is in the wrong state (HTTP 409)
    ├── Cancelled             the job was cancelled while running (no retry)
    ├── JobTimeout            the job ran past its hard timeout (retried by policy)
    ├── WaitTimedOut          a caller waited too long for a job, a run or a lock (also a TimeoutError)
    ├── ProviderError         a third-party service failed (retried by policy, HTTP 502)
    │   └── ProviderRefused   it refused us for good: wrong key, model, voice or URL (no retry)
    ├── ToolFailed            an external program (ffmpeg, Chromium) failed after our checks passed
    │   └── EncoderFailed     ffmpeg exited non-zero
    ├── TaskFailure           a processor raised an error that is not mediamill's own (`kind` names it)
    │   └── WorkerCrashed     the task process died or never started
    ├── RetryableFailure      what BullMQ is handed for an attempt worth retrying ("Type: message")
    ├── ConfigError           settings that cannot work; raised at start-up
    └── JobFailed             a client waited for a job that failed or was cancelled

`retryable` belongs to the class, never to an instance: an error that must not be retried is a
different class. Every class takes `(message, *, field=None)`, so a task process can send any of
them to its worker by class name and the worker raises the same class again (see `rebuild`).
"""

from __future__ import annotations


class MediamillError(Exception):
    status_code = 500
    retryable = True

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def public(self) -> dict:
        body = {"error": type(self).__name__, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class BadInput(MediamillError):
    status_code = 422
    retryable = False


class LimitExceeded(BadInput):
    status_code = 413


class MemoryLimitExceeded(LimitExceeded):
    """A task process grew past its memory ceiling and was killed; the same input would do it again."""


class ExpressionError(BadInput):
    pass


class NotFound(MediamillError):
    status_code = 404
    retryable = False


class Unauthorized(MediamillError):
    status_code = 401
    retryable = False


class InvalidSignature(Unauthorized):
    pass


class Forbidden(MediamillError):
    status_code = 403
    retryable = False


class Gone(MediamillError):
    """It existed and no longer works: an expired, revoked or used-up share link."""

    status_code = 410
    retryable = False


class TooManyRequests(MediamillError):
    """Too many attempts (wrong share-link passwords): wait and try again."""

    status_code = 429
    retryable = False


class NotReplicated(MediamillError):
    """The job is on the Redis primary but fewer replicas than `redis_wait_replicas` confirmed it in
    time: a failover now could lose it (or it survives, and a second submit runs the work twice)."""

    status_code = 503


class Conflict(MediamillError):
    status_code = 409
    retryable = False


class Cancelled(MediamillError):
    status_code = 409
    retryable = False


class JobTimeout(MediamillError):
    status_code = 504


class WaitTimedOut(MediamillError, TimeoutError):
    """Also a TimeoutError, so `except TimeoutError` around a wait keeps working."""

    status_code = 504
    retryable = False


class ProviderError(MediamillError):
    status_code = 502

    def __init__(self, message: str, *, field: str | None = None, retry_after_s: float | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after_s = retry_after_s  # a provider's Retry-After, when it sent one


class ProviderRefused(ProviderError):
    retryable = False


class ToolFailed(MediamillError):
    pass


class EncoderFailed(ToolFailed):
    """ffmpeg exited non-zero after our own checks passed: a bug or a resource problem, so retryable."""


class TaskFailure(MediamillError):
    """An error that is not mediamill's own, raised by a processor; `kind` keeps its type name.

    Retryable like any unexpected error; `trace` is the traceback where it happened (a task process).
    """

    def __init__(self, message: str, *, field: str | None = None, kind: str | None = None, trace: str = "") -> None:
        super().__init__(message, field=field)
        self.kind = kind or type(self).__name__
        self.trace = trace


class WorkerCrashed(TaskFailure):
    pass


class RetryableFailure(MediamillError):
    pass


class ConfigError(MediamillError):
    retryable = False


class JobFailed(MediamillError):
    status_code = 409
    retryable = False

    def __init__(self, message: str, *, field: str | None = None, status: object = None) -> None:
        super().__init__(message, field=field)
        self.status = status


def error_class(name: str) -> type[MediamillError] | None:
    """The class of this tree called `name`, or None (a type name from a job's failure string)."""
    cls = globals().get(name)
    return cls if isinstance(cls, type) and issubclass(cls, MediamillError) else None


def rebuild(name: str, message: str, *, field: str | None = None, trace: str = "") -> MediamillError:
    """An error as another process described it: the same class when it is one of ours.

    Anything else becomes a TaskFailure whose `kind` is the original type name.
    """
    cls = error_class(name)
    if cls is None:
        return TaskFailure(message, field=field, kind=name, trace=trace)
    error = cls(message, field=field)
    if isinstance(error, TaskFailure):
        error.trace = trace
    return error


# -- pydantic validation errors as one message -----------------------------------------------
# The one translation of a pydantic error list into a message that names each field; the API's
# request errors, params, job data, pipeline specs and timelines all use it.
def validation_location(loc: tuple | list, prefix: str = "", hide: frozenset[str] = frozenset()) -> str:
    """("events", 1, "type") -> "events.1.type" under an optional prefix; `hide` drops noise parts."""
    parts = [str(part) for part in loc if str(part) not in hide] or [str(part) for part in loc]
    return ".".join(part for part in (prefix, *parts) if part)


def describe_validation_error(exc: object, prefix: str = "", *, hide: frozenset[str] = frozenset(),
                              limit: int = 8) -> str:
    """`params.size: Input should be ...; params.bogus: Extra inputs are not permitted` (first `limit`)."""
    errors = exc.errors() if hasattr(exc, "errors") else list(exc)  # a ValidationError or its errors()
    parts = []
    for error in errors[:limit]:
        location = validation_location(error.get("loc", ()), prefix, hide) or prefix or "value"
        parts.append(f"{location}: {str(error.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return "; ".join(parts) or "invalid value"


def first_invalid_field(exc: object, prefix: str = "", hide: frozenset[str] = frozenset()) -> str | None:
    """The location of the first error, for an error's `field`."""
    errors = exc.errors() if hasattr(exc, "errors") else list(exc)
    return validation_location(errors[0].get("loc", ()), prefix, hide) or prefix or None if errors else None

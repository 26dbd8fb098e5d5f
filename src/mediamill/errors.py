"""The one error tree of mediamill; each error knows its public message and HTTP status.

    MediamillError
    ├── BadInput            input no retry can fix: the job fails at once (HTTP 422)
    │   └── LimitExceeded   a security limit (pixels, bytes, duration...) was crossed (HTTP 413)
    ├── NotFound            an unknown job, artifact, task, queue or pipeline (HTTP 404)
    ├── Unauthorized        no or unknown credentials (HTTP 401)
    ├── Forbidden           credentials without the needed scope (HTTP 403)
    ├── Conflict            the thing exists or is in the wrong state (HTTP 409)
    ├── Cancelled           the job was cancelled while running (no retry)
    ├── JobTimeout          the job ran past its hard timeout (retried by policy)
    ├── ProviderError       a third-party service failed (retried by policy, HTTP 502)
    ├── ConfigError         settings that cannot work; raised at start-up
    └── JobFailed           a client waited for a job that failed or was cancelled
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


class NotFound(MediamillError):
    status_code = 404
    retryable = False


class Unauthorized(MediamillError):
    status_code = 401
    retryable = False


class Forbidden(MediamillError):
    status_code = 403
    retryable = False


class Conflict(MediamillError):
    status_code = 409
    retryable = False


class Cancelled(MediamillError):
    status_code = 409
    retryable = False


class JobTimeout(MediamillError):
    status_code = 504


class ProviderError(MediamillError):
    status_code = 502


class ConfigError(MediamillError):
    retryable = False


class JobFailed(MediamillError):
    status_code = 409
    retryable = False

    def __init__(self, message: str, *, status: object = None) -> None:
        super().__init__(message)
        self.status = status

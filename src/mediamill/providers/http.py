"""One translation of a provider's HTTP failures into mediamill errors, for every adapter (LLM text,
speech, image edits), with the one table of what is worth a retry:

    timeout, connection error                   -> ProviderError    (retried by the queue's policy)
    408, 409, 425, 429 (Retry-After kept), 5xx  -> ProviderError    (retried)
    401, 403, 404 (key, model, voice or URL)    -> ProviderRefused  (not retried)
    any other 4xx (the request itself: 400...)  -> BadInput         (a retry cannot help)
"""

from __future__ import annotations

import contextlib
import email.utils
import time
from collections.abc import Iterator

import httpx

from mediamill.errors import BadInput, ProviderError, ProviderRefused

RETRYABLE_STATUS = frozenset({408, 409, 425, 429})
REFUSED_STATUS = frozenset({401, 403, 404})
# The provider's own error text is useful, but never echo a whole HTML error page.
ERROR_TEXT_CHARS = 300


def is_retryable(status: int) -> bool:
    return status in RETRYABLE_STATUS or status >= 500


@contextlib.contextmanager
def provider_http_errors(provider: str, timeout_s: float | None = None) -> Iterator[None]:
    """Around one request (and `raise_for_status()`): httpx failures become mediamill errors."""
    try:
        yield
    except httpx.HTTPStatusError as exc:
        check_status(exc.response, provider)
        raise  # a 1xx/3xx raise_for_status objected to: not ours to translate
    except httpx.TimeoutException as exc:
        within = f" within {timeout_s:g} s" if timeout_s else ""
        raise ProviderError(f"{provider} did not answer{within} ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise ProviderError(f"{provider} could not be reached: {type(exc).__name__}: {exc}") from exc


def check_status(response: httpx.Response, provider: str) -> None:
    """Nothing for a success; else the error the status means (see the table above)."""
    status = response.status_code
    if status < 400:
        return
    message = f"{provider} answered HTTP {status}: {error_text(response)}"
    if is_retryable(status):
        wait = retry_after_s(response)
        raise ProviderError(message + (f" (retry after {wait:g} s)" if wait is not None else ""),
                            retry_after_s=wait)
    if status in REFUSED_STATUS:
        raise ProviderRefused(message, field="provider")
    raise BadInput(message, field="provider")


def retry_after_s(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds (a number of seconds or an HTTP date), if the provider sent one."""
    raw = response.headers.get("retry-after")
    if not raw:
        return None
    if raw.strip().isdigit():
        return float(raw.strip())
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def json_object(response: httpx.Response, provider: str) -> dict:
    """A successful answer's body, which must be a JSON object (anything else is the provider's fault)."""
    try:
        data = response.json()
    except ValueError:
        raise ProviderError(f"{provider} answered HTTP {response.status_code} with a body that is not JSON: "
                            f"{response.text[:ERROR_TEXT_CHARS]!r}") from None
    if not isinstance(data, dict):
        raise ProviderError(f"{provider} answered with JSON that is not an object ({type(data).__name__})")
    return data


def error_text(response: httpx.Response) -> str:
    """The provider's own message ({"error": {"message": ...}}, {"detail": ...}, or the text), short."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:ERROR_TEXT_CHARS] or response.reason_phrase
    error = (body.get("error") or body.get("detail") or body) if isinstance(body, dict) else body
    if isinstance(error, dict):
        error = error.get("message") or error.get("status") or error
    return str(error)[:ERROR_TEXT_CHARS]

"""One POST of JSON to a provider, with every httpx failure and HTTP status translated to mediamill errors.

    timeout, connection error, 408, 409, 429, 5xx  -> ProviderError (retried by the queue's policy)
    401, 403, 404                                  -> ProviderError, not retried (key, model or URL is wrong)
    400, 413, 422                                  -> BadInput (the request itself is refused; a retry cannot help)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx

from mediamill.errors import BadInput, ProviderError

RETRYABLE_STATUS = frozenset({408, 409, 425, 429})
NOT_RETRYABLE_STATUS = frozenset({401, 403, 404})
# The provider's own error text is useful, but never echo a whole HTML error page.
ERROR_TEXT_CHARS = 300


def provider_error(message: str, *, retryable: bool) -> ProviderError:
    error = ProviderError(message)
    error.retryable = retryable  # the engine reads the instance's flag
    return error


@contextlib.contextmanager
def translate_httpx_errors(provider: str, timeout_s: float) -> Iterator[None]:
    try:
        yield
    except httpx.TimeoutException as exc:
        raise provider_error(f"{provider} did not answer within {timeout_s:g} s ({type(exc).__name__})",
                             retryable=True) from exc
    except httpx.TransportError as exc:
        raise provider_error(f"{provider} is unreachable: {type(exc).__name__}: {exc}", retryable=True) from exc


async def post_json(client: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict, *,
                    provider: str, timeout_s: float) -> dict:
    with translate_httpx_errors(provider, timeout_s):
        response = await client.post(url, headers=headers, json=body)
    check_status(response, provider)
    try:
        data = response.json()
    except ValueError:
        raise provider_error(f"{provider} answered HTTP {response.status_code} with a body that is not JSON",
                             retryable=True) from None
    if not isinstance(data, dict):
        raise provider_error(f"{provider} answered with JSON that is not an object", retryable=True)
    return data


def check_status(response: httpx.Response, provider: str) -> None:
    status = response.status_code
    if status < 400:
        return
    detail = _error_text(response)
    message = f"{provider} refused the request: HTTP {status}: {detail}"
    if status in RETRYABLE_STATUS or status >= 500:
        raise provider_error(message, retryable=True)
    if status in NOT_RETRYABLE_STATUS:
        raise provider_error(message, retryable=False)
    raise BadInput(message)


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:ERROR_TEXT_CHARS] or response.reason_phrase
    error = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(error, dict):
        error = error.get("message", error)
    return str(error)[:ERROR_TEXT_CHARS]

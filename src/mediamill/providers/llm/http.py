"""One POST of JSON to a provider, with every httpx failure and HTTP status translated to mediamill errors.

    timeout, connection error, 408, 409, 429, 5xx  -> ProviderError (retried by the queue's policy)
    401, 403, 404                                  -> ProviderRefused, not retried (key, model or URL is wrong)
    400, 413, 422                                  -> BadInput (the request itself is refused; a retry cannot help)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx

from mediamill.errors import BadInput, ProviderError, ProviderRefused

RETRYABLE_STATUS = frozenset({408, 409, 425, 429})
NOT_RETRYABLE_STATUS = frozenset({401, 403, 404})
# The provider's own error text is useful, but never echo a whole HTML error page.
ERROR_TEXT_CHARS = 300


@contextlib.contextmanager
def translate_httpx_errors(provider: str, timeout_s: float) -> Iterator[None]:
    try:
        yield
    except httpx.TimeoutException as exc:
        raise ProviderError(f"{provider} did not answer within {timeout_s:g} s ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise ProviderError(f"{provider} is unreachable: {type(exc).__name__}: {exc}") from exc


async def post_json(client: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict, *,
                    provider: str, timeout_s: float) -> dict:
    with translate_httpx_errors(provider, timeout_s):
        response = await client.post(url, headers=headers, json=body)
    check_status(response, provider)
    try:
        data = response.json()
    except ValueError:
        raise ProviderError(f"{provider} answered HTTP {response.status_code} with a body that is not JSON") from None
    if not isinstance(data, dict):
        raise ProviderError(f"{provider} answered with JSON that is not an object")
    return data


def check_status(response: httpx.Response, provider: str) -> None:
    status = response.status_code
    if status < 400:
        return
    detail = _error_text(response)
    message = f"{provider} refused the request: HTTP {status}: {detail}"
    if status in RETRYABLE_STATUS or status >= 500:
        raise ProviderError(message)
    if status in NOT_RETRYABLE_STATUS:
        raise ProviderRefused(message)
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

"""One POST of JSON to an LLM provider; failures are translated by providers.http (the shared table)."""

from __future__ import annotations

import httpx

from mediamill.errors import ProviderError
from mediamill.providers.http import check_status, provider_http_errors


async def post_json(client: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict, *,
                    provider: str, timeout_s: float) -> dict:
    with provider_http_errors(provider, timeout_s):
        response = await client.post(url, headers=headers, json=body)
    check_status(response, provider)
    try:
        data = response.json()
    except ValueError:
        raise ProviderError(f"{provider} answered HTTP {response.status_code} with a body that is not JSON") from None
    if not isinstance(data, dict):
        raise ProviderError(f"{provider} answered with JSON that is not an object")
    return data

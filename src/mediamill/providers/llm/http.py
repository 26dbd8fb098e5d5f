"""One POST of JSON to an LLM provider; failures are translated by providers.http (the shared table)."""

from __future__ import annotations

import httpx

from mediamill.providers.http import check_status, json_object, provider_http_errors


async def post_json(client: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict, *,
                    provider: str, timeout_s: float) -> dict:
    with provider_http_errors(provider, timeout_s):
        response = await client.post(url, headers=headers, json=body)
    check_status(response, provider)
    return json_object(response, provider)

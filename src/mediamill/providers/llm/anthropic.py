"""Anthropic's Messages API (POST /v1/messages with x-api-key and anthropic-version headers)."""

from __future__ import annotations

from mediamill.errors import ProviderError
from mediamill.providers.llm.base import LLMProvider

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_MODEL = "claude-3-5-haiku-latest"
API_VERSION = "2023-06-01"


class AnthropicProvider(LLMProvider):
    name = "anthropic"

    async def complete(self, *, system: str, prompt: str, max_tokens: int = 2048,
                       temperature: float = 0.7, json_mode: bool = True, schema: dict | None = None) -> str:
        body = {
            "model": self.model,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "system": system,
            "messages": [{"role": "user", "content": prompt}],
        }
        headers = {"x-api-key": self.api_key or "", "anthropic-version": API_VERSION}
        data = await self._post(f"{self.base_url}/v1/messages", headers, body)
        if data.get("stop_reason") == "refusal":  # documented: the model declined (its safety classifiers)
            raise self.refused("stop_reason refusal")
        blocks = data.get("content")
        if not isinstance(blocks, list):
            raise ProviderError(f"{self.name} answered without content blocks: {str(data)[:200]}")
        text = "".join(block.get("text", "") for block in blocks if isinstance(block, dict) and block.get("type") == "text")
        if not text:
            raise ProviderError(f"{self.name} answered with no text (stop_reason={data.get('stop_reason')!r})")
        return text

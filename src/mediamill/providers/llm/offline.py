"""The stand-in used when no LLM is configured: processors see `offline` and use their rule-based writers."""

from __future__ import annotations

from mediamill.errors import ConfigError
from mediamill.providers.llm.base import LLMProvider


class OfflineProvider(LLMProvider):
    """No network, no model: asking it to complete is a programming error."""

    name = "offline"
    offline = True

    def __init__(self) -> None:  # no HTTP client to open
        self.model = "rules"
        self.base_url = ""
        self.api_key = None
        self.timeout_s = 0.0

    async def aclose(self) -> None:
        return None

    async def complete(self, *, system: str, prompt: str, max_tokens: int = 2048,
                       temperature: float = 0.7, json_mode: bool = True, schema: dict | None = None) -> str:
        raise ConfigError("the offline provider cannot complete prompts; use the rule-based writers")

    def describe(self) -> dict:
        return {"provider": "offline", "model": None}

"""Google's Gemini API (POST /v1beta/models/{model}:generateContent with an x-goog-api-key header)."""

from __future__ import annotations

from mediamill.errors import ProviderError
from mediamill.providers.llm.base import LLMProvider

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
DEFAULT_MODEL = "gemini-2.0-flash"


class GeminiProvider(LLMProvider):
    name = "gemini"

    async def complete(self, *, system: str, prompt: str, max_tokens: int = 2048,
                       temperature: float = 0.7, json_mode: bool = True, schema: dict | None = None) -> str:
        config: dict = {"temperature": temperature, "maxOutputTokens": max_tokens}
        if json_mode:
            config["responseMimeType"] = "application/json"
        body = {
            "systemInstruction": {"parts": [{"text": system}]},
            "contents": [{"role": "user", "parts": [{"text": prompt}]}],
            "generationConfig": config,
        }
        headers = {"x-goog-api-key": self.api_key or ""}
        data = await self._post(f"{self.base_url}/v1beta/models/{self.model}:generateContent", headers, body)
        try:
            parts = data["candidates"][0]["content"]["parts"]
        except (KeyError, IndexError, TypeError):
            reason = (data.get("promptFeedback") or {}).get("blockReason")
            raise ProviderError(f"{self.name} answered without a candidate"
                                + (f" (blocked: {reason})" if reason else f": {str(data)[:200]}")) from None
        text = "".join(part.get("text", "") for part in parts if isinstance(part, dict))
        if not text:
            raise ProviderError(f"{self.name} answered with no text")
        return text

"""Google's Gemini API (POST /v1beta/models/{model}:generateContent with an x-goog-api-key header)."""

from __future__ import annotations

from mediamill.errors import ProviderError
from mediamill.providers.llm.base import LLMProvider

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
DEFAULT_MODEL = "gemini-2.0-flash"
# FinishReason values that mean the answer was withheld by a safety or policy filter (API reference).
REFUSED_FINISH = {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII"}


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
        blocked = (data.get("promptFeedback") or {}).get("blockReason")
        if blocked:  # the prompt itself was blocked: no candidates
            raise self.refused(f"promptFeedback.blockReason {blocked}")
        try:
            candidate = data["candidates"][0]
            if candidate.get("finishReason") in REFUSED_FINISH and not candidate.get("content", {}).get("parts"):
                raise self.refused(f"finishReason {candidate['finishReason']}")
            parts = candidate["content"]["parts"]
        except (KeyError, IndexError, TypeError, AttributeError):
            raise ProviderError(f"{self.name} answered without a candidate: {str(data)[:200]}") from None
        text = "".join(part.get("text", "") for part in parts if isinstance(part, dict))
        if not text:
            raise ProviderError(f"{self.name} answered with no text")
        return text

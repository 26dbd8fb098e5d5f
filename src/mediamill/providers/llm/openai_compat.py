"""OpenAI chat completions, and every server that speaks the same API (Ollama, vLLM, llama.cpp server)."""

from __future__ import annotations

from mediamill.errors import ProviderError
from mediamill.providers.llm.base import LLMProvider

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"


class OpenAICompatProvider(LLMProvider):
    """POST {base_url}/chat/completions; the key (optional for local servers) goes in a Bearer header."""

    name = "openai"

    async def complete(self, *, system: str, prompt: str, max_tokens: int = 2048,
                       temperature: float = 0.7, json_mode: bool = True, schema: dict | None = None) -> str:
        body: dict = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if json_mode:  # OpenAI, Ollama, vLLM and llama.cpp server all honour json_object
            body["response_format"] = {"type": "json_object"}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        data = await self._post(f"{self.base_url}/chat/completions", headers, body)
        try:
            choice = data["choices"][0]
            content = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise ProviderError(f"{self.name} answered without choices[0].message.content: {str(data)[:200]}") from None
        refusal = choice["message"].get("refusal")  # OpenAI: a declined request carries `refusal`, no content
        if isinstance(refusal, str) and refusal:
            raise self.refused(f"refusal: {refusal[:200]}")
        if choice.get("finish_reason") == "content_filter" and not content:
            raise self.refused("finish_reason content_filter")
        if not isinstance(content, str):
            raise ProviderError(f"{self.name} answered with empty content")
        return content

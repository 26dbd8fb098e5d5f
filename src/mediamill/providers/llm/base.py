"""The adapter interface every LLM provider implements, and JSON answers validated with pydantic."""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from mediamill.errors import BadInput, ProviderError
from mediamill.providers.llm.http import post_json

Answer = TypeVar("Answer", bound=BaseModel)
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


class LLMProvider(ABC):
    """One chat-style text model behind an HTTP API. Use as `async with provider:` to close the client."""

    name: str = "llm"
    offline = False

    def __init__(self, *, model: str, base_url: str, api_key: str | None = None, timeout_s: float = 60.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s
        self._client = httpx.AsyncClient(timeout=timeout_s, transport=transport)

    async def __aenter__(self) -> LLMProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    @abstractmethod
    async def complete(self, *, system: str, prompt: str, max_tokens: int = 2048,
                       temperature: float = 0.7, json_mode: bool = True, schema: dict | None = None) -> str:
        """The model's text answer to one system + user prompt. `schema`: the JSON schema the answer must
        match; a provider that can enforce it while generating does (local), the others are asked by the
        prompt and checked after."""

    async def _post(self, url: str, headers: dict[str, str], body: dict) -> dict:
        return await post_json(self._client, url, headers, body, provider=self.name, timeout_s=self.timeout_s)

    def describe(self) -> dict:
        return {"provider": self.name, "model": self.model}

    def refused(self, detail: str) -> BadInput:
        """The model declined the request (a content-policy refusal): asking again with the same
        params gets the same answer, so it is the job's input to change, not the queue's to retry."""
        return BadInput(f"params: the {self.name} model refused to answer ({detail}); "
                        "change the text or brief it was given", field="params")


def parse_json_answer(text: str, model: type[Answer]) -> Answer:
    """The answer as `model`; tolerates a ```json fence and prose around one JSON object."""
    candidate = text.strip()
    fenced = _FENCE.match(candidate)
    if fenced:
        candidate = fenced.group(1)
    if not candidate.startswith("{"):
        start, end = candidate.find("{"), candidate.rfind("}")
        if start != -1 and end > start:
            candidate = candidate[start:end + 1]
    return model.model_validate(json.loads(candidate))


async def generate_json(provider: LLMProvider, *, system: str, prompt: str, answer: type[Answer],
                        check: Callable[[Answer], None] | None = None, schema: dict | None = None,
                        prefer: Callable[[Answer], str | None] | None = None,
                        max_tokens: int = 2048, temperature: float = 0.7) -> Answer:
    """Ask for JSON and validate it (the model, then `check`, which raises ValueError on a bad answer);
    a malformed answer is retried once, telling the model what was wrong, then fails with ProviderError.
    `schema` (default: the answer model's) goes to the provider, which may constrain its output to it.
    `prefer` is a softer check: the problem it names (e.g. a word the brand avoids) is asked away once,
    and the first answer stands if the second is not valid."""
    schema = schema or answer.model_json_schema()
    problem = ""
    kept: Answer | None = None
    for attempt in (1, 2):
        ask = prompt if attempt == 1 else (
            f"{prompt}\n\nYour previous answer was not valid: {problem}\n"
            "Answer again with only the JSON object, exactly in the requested shape."
        )
        text = await provider.complete(system=system, prompt=ask, max_tokens=max_tokens, temperature=temperature,
                                       schema=schema)
        try:
            parsed = parse_json_answer(text, answer)
            if check:
                check(parsed)
            wish = prefer(parsed) if prefer and attempt == 1 else None
            if wish is None:
                return parsed
            kept, problem = parsed, wish
        except (ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
            problem = _short(exc)
    if kept is not None:
        return kept
    raise ProviderError(f"{provider.name} ({provider.model}) answered with malformed JSON twice: {problem}")


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(map(str, first['loc'])) or 'answer'}: {first['msg']} ({exc.error_count()} problem(s))"
    return str(exc)[:200]

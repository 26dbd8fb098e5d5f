"""select_provider(): which LLM adapter the environment asks for (explicit choice, else the first key set).

    MEDIAMILL_LLM_PROVIDER   auto (default) | offline | openai | anthropic | gemini
    MEDIAMILL_LLM_MODEL      model name for the chosen provider (each has a default)
    MEDIAMILL_LLM_TIMEOUT_S  seconds for one request (default 60)
    OPENAI_API_KEY, OPENAI_BASE_URL        OpenAI or any OpenAI-compatible server (Ollama, vLLM, llama.cpp)
    ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL
    GEMINI_API_KEY (or GOOGLE_API_KEY), GEMINI_BASE_URL

auto picks openai when OPENAI_API_KEY or OPENAI_BASE_URL is set, then anthropic, then gemini, else offline.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from mediamill.errors import ConfigError
from mediamill.providers.llm import anthropic, gemini, openai_compat
from mediamill.providers.llm.base import LLMProvider
from mediamill.providers.llm.offline import OfflineProvider

ENV_NAMES = (
    "MEDIAMILL_LLM_PROVIDER", "MEDIAMILL_LLM_MODEL", "MEDIAMILL_LLM_TIMEOUT_S",
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
    "GEMINI_API_KEY", "GOOGLE_API_KEY", "GEMINI_BASE_URL",
)
PROVIDERS = ("auto", "offline", "openai", "anthropic", "gemini")


def select_provider(env: Mapping[str, str] | None = None, *, force_offline: bool = False,
                    transport: httpx.AsyncBaseTransport | None = None) -> LLMProvider:
    """The configured provider (read on every call, so a worker follows its environment)."""
    env = os.environ if env is None else env
    choice = (env.get("MEDIAMILL_LLM_PROVIDER") or "auto").strip().lower()
    if choice not in PROVIDERS:
        raise ConfigError(f"MEDIAMILL_LLM_PROVIDER={choice!r}; expected one of {', '.join(PROVIDERS)}")
    if force_offline or choice == "offline":
        return OfflineProvider()
    if choice == "auto":
        choice = _first_configured(env)
        if choice == "offline":
            return OfflineProvider()
    model = env.get("MEDIAMILL_LLM_MODEL") or None
    timeout_s = _timeout(env)
    if choice == "openai":
        key, base = env.get("OPENAI_API_KEY"), env.get("OPENAI_BASE_URL")
        if not key and not base:
            raise ConfigError("MEDIAMILL_LLM_PROVIDER=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)")
        return openai_compat.OpenAICompatProvider(
            model=model or openai_compat.DEFAULT_MODEL, base_url=base or openai_compat.DEFAULT_BASE_URL,
            api_key=key, timeout_s=timeout_s, transport=transport)
    if choice == "anthropic":
        key = env.get("ANTHROPIC_API_KEY")
        if not key:
            raise ConfigError("MEDIAMILL_LLM_PROVIDER=anthropic needs ANTHROPIC_API_KEY")
        return anthropic.AnthropicProvider(
            model=model or anthropic.DEFAULT_MODEL, base_url=env.get("ANTHROPIC_BASE_URL") or anthropic.DEFAULT_BASE_URL,
            api_key=key, timeout_s=timeout_s, transport=transport)
    key = env.get("GEMINI_API_KEY") or env.get("GOOGLE_API_KEY")
    if not key:
        raise ConfigError("MEDIAMILL_LLM_PROVIDER=gemini needs GEMINI_API_KEY (or GOOGLE_API_KEY)")
    return gemini.GeminiProvider(
        model=model or gemini.DEFAULT_MODEL, base_url=env.get("GEMINI_BASE_URL") or gemini.DEFAULT_BASE_URL,
        api_key=key, timeout_s=timeout_s, transport=transport)


def _first_configured(env: Mapping[str, str]) -> str:
    if env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL"):
        return "openai"
    if env.get("ANTHROPIC_API_KEY"):
        return "anthropic"
    if env.get("GEMINI_API_KEY") or env.get("GOOGLE_API_KEY"):
        return "gemini"
    return "offline"


def _timeout(env: Mapping[str, str]) -> float:
    raw = env.get("MEDIAMILL_LLM_TIMEOUT_S") or "60"
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"MEDIAMILL_LLM_TIMEOUT_S={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise ConfigError("MEDIAMILL_LLM_TIMEOUT_S must be positive")
    return value

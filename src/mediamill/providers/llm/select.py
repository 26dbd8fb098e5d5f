"""select_provider(): which LLM adapter the settings ask for (explicit choice, else the first key set).

    MEDIAMILL_LLM_PROVIDER   auto (default) | offline | local | openai | anthropic | gemini
    MEDIAMILL_LLM_MODEL      model name for the chosen provider (each has a default)
    MEDIAMILL_LLM_TIMEOUT_S  seconds for one request (default 60; local: 240)
    MEDIAMILL_LLM_GGUF_PATH  local: a GGUF model file (default: SmolLM2-135M from the local-llm extra)
    MEDIAMILL_LLM_THREADS    local: llama.cpp threads (default 0 = half the usable cores, 1 to 4)
    MEDIAMILL_OPENAI_API_KEY / OPENAI_API_KEY, MEDIAMILL_OPENAI_BASE_URL / OPENAI_BASE_URL
                             OpenAI or any OpenAI-compatible server (Ollama, vLLM, llama.cpp)
    MEDIAMILL_ANTHROPIC_API_KEY / ANTHROPIC_API_KEY, MEDIAMILL_ANTHROPIC_BASE_URL / ANTHROPIC_BASE_URL
    MEDIAMILL_GEMINI_API_KEY / GEMINI_API_KEY / GOOGLE_API_KEY, MEDIAMILL_GEMINI_BASE_URL / GEMINI_BASE_URL

auto picks openai when an OpenAI key or base URL is set, then anthropic, then gemini, else offline;
it never picks local (its SmolLM2 did not beat the template writers: docs/guides/local-llm.md).
(The names and their precedence live in settings.RuntimeSettings.)
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from mediamill.errors import ConfigError
from mediamill.providers.llm import anthropic, gemini, local, openai_compat
from mediamill.providers.llm.base import LLMProvider
from mediamill.providers.llm.offline import OfflineProvider
from mediamill.settings import RuntimeSettings, runtime_settings

LLM_FIELDS = ("llm_provider", "llm_model", "llm_timeout_s", "llm_gguf_path", "llm_threads", "openai_api_key", "openai_base_url",
              "anthropic_api_key", "anthropic_base_url", "gemini_api_key", "gemini_base_url")
HTTP_TIMEOUT_S = 60.0
# Every variable that configures LLM text (test fixtures clear them all).
ENV_NAMES = tuple(name for field in LLM_FIELDS for name in RuntimeSettings.env_names(field))


def select_provider(env: Mapping[str, str] | None = None, *, force_offline: bool = False,
                    choice: str = "auto", transport: httpx.AsyncBaseTransport | None = None) -> LLMProvider:
    """The configured provider (settings read on every call, so a worker follows its environment);
    `env` replaces the process environment (tests, tools); `choice` (a job's `provider` param:
    auto | offline | local) overrides MEDIAMILL_LLM_PROVIDER unless it is auto."""
    config = runtime_settings(env)
    if choice == "offline":
        force_offline = True
    choice = config.llm_provider if choice == "auto" else choice
    if force_offline or choice == "offline":
        return OfflineProvider()
    if choice == "local":
        return local.LocalProvider(gguf_path=config.llm_gguf_path, threads=config.llm_threads,
                                   timeout_s=config.llm_timeout_s or local.DEFAULT_TIMEOUT_S)
    if choice == "auto":
        choice = _first_configured(config)
        if choice == "offline":
            return OfflineProvider()
    model, timeout_s = config.llm_model or None, config.llm_timeout_s or HTTP_TIMEOUT_S
    if choice == "openai":
        if not config.openai_api_key and not config.openai_base_url:
            raise ConfigError(f"MEDIAMILL_LLM_PROVIDER=openai needs {_either('openai_api_key')} (or "
                              f"{_either('openai_base_url')} for a local server)")
        return openai_compat.OpenAICompatProvider(
            model=model or openai_compat.DEFAULT_MODEL, base_url=config.openai_base_url or openai_compat.DEFAULT_BASE_URL,
            api_key=config.openai_api_key, timeout_s=timeout_s, transport=transport)
    if choice == "anthropic":
        if not config.anthropic_api_key:
            raise ConfigError(f"MEDIAMILL_LLM_PROVIDER=anthropic needs {_either('anthropic_api_key')}")
        return anthropic.AnthropicProvider(
            model=model or anthropic.DEFAULT_MODEL, base_url=config.anthropic_base_url or anthropic.DEFAULT_BASE_URL,
            api_key=config.anthropic_api_key, timeout_s=timeout_s, transport=transport)
    if not config.gemini_api_key:
        raise ConfigError(f"MEDIAMILL_LLM_PROVIDER=gemini needs {_either('gemini_api_key')}")
    return gemini.GeminiProvider(
        model=model or gemini.DEFAULT_MODEL, base_url=config.gemini_base_url or gemini.DEFAULT_BASE_URL,
        api_key=config.gemini_api_key, timeout_s=timeout_s, transport=transport)


def _either(field: str) -> str:
    names = RuntimeSettings.env_names(field)  # the vendor's own names first: they are the familiar ones
    return " or ".join(sorted(names, key=lambda name: name.startswith("MEDIAMILL_")))


def _first_configured(config: RuntimeSettings) -> str:
    if config.openai_api_key or config.openai_base_url:
        return "openai"
    if config.anthropic_api_key:
        return "anthropic"
    if config.gemini_api_key:
        return "gemini"
    return "offline"

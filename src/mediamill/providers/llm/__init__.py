"""LLM adapters over httpx (OpenAI-compatible, Anthropic, Gemini) and the offline stand-in; see select_provider."""

from mediamill.providers.llm.base import LLMProvider, generate_json
from mediamill.providers.llm.offline import OfflineProvider
from mediamill.providers.llm.select import ENV_NAMES, select_provider

__all__ = ["ENV_NAMES", "LLMProvider", "OfflineProvider", "generate_json", "select_provider"]

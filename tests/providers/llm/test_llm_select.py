"""select_provider reads the documented environment variables."""

import pytest

from mediamill.errors import ConfigError
from mediamill.providers.llm import select_provider


@pytest.mark.parametrize(("env", "name", "model"), [
    ({}, "offline", None),
    ({"OPENAI_API_KEY": "k"}, "openai", "gpt-4o-mini"),
    ({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}, "openai", "gpt-4o-mini"),
    ({"ANTHROPIC_API_KEY": "k"}, "anthropic", "claude-3-5-haiku-latest"),
    ({"GEMINI_API_KEY": "k"}, "gemini", "gemini-2.0-flash"),
    ({"GOOGLE_API_KEY": "k"}, "gemini", "gemini-2.0-flash"),
    ({"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"}, "openai", "gpt-4o-mini"),
    ({"MEDIAMILL_LLM_PROVIDER": "anthropic", "OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k",
      "MEDIAMILL_LLM_MODEL": "claude-x"}, "anthropic", "claude-x"),
    ({"MEDIAMILL_LLM_PROVIDER": "offline", "OPENAI_API_KEY": "k"}, "offline", None),
])
async def test_choice(env, name, model):
    async with select_provider(env) as llm:
        assert llm.describe() == {"provider": name, "model": model}


async def test_force_offline_wins_over_keys():
    async with select_provider({"OPENAI_API_KEY": "k"}, force_offline=True) as llm:
        assert llm.offline


@pytest.mark.parametrize(("env", "message"), [
    ({"MEDIAMILL_LLM_PROVIDER": "gpt"}, "expected one of"),
    ({"MEDIAMILL_LLM_PROVIDER": "anthropic"}, "needs ANTHROPIC_API_KEY"),
    ({"MEDIAMILL_LLM_PROVIDER": "gemini"}, "needs GEMINI_API_KEY"),
    ({"MEDIAMILL_LLM_PROVIDER": "openai"}, "needs OPENAI_API_KEY"),
    ({"OPENAI_API_KEY": "k", "MEDIAMILL_LLM_TIMEOUT_S": "soon"}, "not a number"),
])
def test_misconfiguration_is_a_config_error(env, message):
    with pytest.raises(ConfigError, match=message):
        select_provider(env)


async def test_reads_the_process_environment(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "k")
    async with select_provider() as llm:
        assert llm.name == "gemini"

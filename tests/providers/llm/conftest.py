"""LLM provider tests never see a developer's real keys."""

import pytest

from mediamill.providers.llm import ENV_NAMES


@pytest.fixture(autouse=True)
def no_llm_env(monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)

"""Text task tests: no real LLM keys leak in; a helper that runs an async task directly, as the worker would."""

from pathlib import Path

import pytest

from mediamill.engine.wire import to_wire
from mediamill.providers.llm import ENV_NAMES
from mediamill.tasks.registry import get_task
from mediamill.testing import make_context


@pytest.fixture(autouse=True)
def no_llm_env(monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def run_text(settings):
    """`await run_text("text.copy", {...})` -> (wired result, ctx); params validated like the worker does."""

    async def run(task: str, params: dict, inputs: list[Path | bytes] = (), *, settings_=None):
        spec = get_task(task)
        ctx = make_context(settings_ or settings, task, list(inputs))
        return to_wire(await spec.fn(ctx, spec.parse_params(params))), ctx

    return run


@pytest.fixture
def llm_env(monkeypatch):
    """Point the process environment at a stub server: `llm_env("anthropic", base_url)`."""

    def point(api: str, base: str) -> None:
        if api == "openai":
            monkeypatch.setenv("OPENAI_BASE_URL", base + "/v1")
            monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        elif api == "anthropic":
            monkeypatch.setenv("ANTHROPIC_API_KEY", "ak-test")
            monkeypatch.setenv("ANTHROPIC_BASE_URL", base)
        else:
            monkeypatch.setenv("GEMINI_API_KEY", "gk-test")
            monkeypatch.setenv("GEMINI_BASE_URL", base)

    return point

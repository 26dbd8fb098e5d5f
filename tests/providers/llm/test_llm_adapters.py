"""Each adapter against a local HTTP server that speaks its API: request shape, answers, errors, timeouts."""

import json

import pytest
from pydantic import BaseModel

from mediamill.errors import BadInput, ProviderError, ProviderRefused
from mediamill.providers.llm import generate_json, select_provider
from mediamill.providers.llm.stub import Reply, StubLLM


class Greeting(BaseModel):
    greeting: str
    count: int


ANSWER = json.dumps({"greeting": "hello", "count": 2})
ENVS = {
    "openai": lambda base: {"MEDIAMILL_LLM_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": base + "/v1"},
    "anthropic": lambda base: {"ANTHROPIC_API_KEY": "ak-test", "ANTHROPIC_BASE_URL": base},
    "gemini": lambda base: {"GEMINI_API_KEY": "gk-test", "GEMINI_BASE_URL": base},
}


async def ask(env: dict, **kw) -> Greeting:
    async with select_provider(env) as llm:
        return await generate_json(llm, system="be brief", prompt="say hello twice", answer=Greeting, **kw)


async def test_openai_compatible_request_shape():
    stub = StubLLM([ANSWER])
    with stub.serve() as base:
        answer = await ask({**ENVS["openai"](base), "MEDIAMILL_LLM_MODEL": "llama3.2"})
    assert answer == Greeting(greeting="hello", count=2)
    (request,) = stub.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.json["model"] == "llama3.2"
    assert request.json["messages"] == [{"role": "system", "content": "be brief"},
                                        {"role": "user", "content": "say hello twice"}]
    assert request.json["response_format"] == {"type": "json_object"}
    assert request.json["max_tokens"] > 0


async def test_openai_compatible_local_server_needs_no_key():
    # Given only OPENAI_BASE_URL (an Ollama or llama.cpp server), auto selects it and sends no key.
    stub = StubLLM([ANSWER])
    with stub.serve() as base:
        await ask({"OPENAI_BASE_URL": base + "/v1"})
    assert "authorization" not in stub.requests[0].headers


async def test_anthropic_request_shape():
    stub = StubLLM([ANSWER])
    with stub.serve() as base:
        answer = await ask(ENVS["anthropic"](base))
    assert answer.count == 2
    (request,) = stub.requests
    assert request.path == "/v1/messages"
    assert request.headers["x-api-key"] == "ak-test"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.json["system"] == "be brief"
    assert request.json["messages"] == [{"role": "user", "content": "say hello twice"}]
    assert request.json["model"].startswith("claude")
    assert request.json["max_tokens"] > 0


async def test_gemini_request_shape():
    stub = StubLLM([ANSWER])
    with stub.serve() as base:
        answer = await ask(ENVS["gemini"](base))
    assert answer.greeting == "hello"
    (request,) = stub.requests
    assert request.path == "/v1beta/models/gemini-2.0-flash:generateContent"
    assert request.headers["x-goog-api-key"] == "gk-test"
    assert request.json["systemInstruction"] == {"parts": [{"text": "be brief"}]}
    assert request.json["contents"] == [{"role": "user", "parts": [{"text": "say hello twice"}]}]
    assert request.json["generationConfig"]["responseMimeType"] == "application/json"


@pytest.mark.parametrize("api", list(ENVS))
async def test_fenced_json_is_accepted(api):
    stub = StubLLM([f"Here you go:\n```json\n{ANSWER}\n```"])
    with stub.serve() as base:
        assert (await ask(ENVS[api](base))).count == 2


@pytest.mark.parametrize("api", list(ENVS))
async def test_malformed_answer_is_retried_once_with_the_problem(api):
    stub = StubLLM(['{"greeting": "hello"}', ANSWER])
    with stub.serve() as base:
        assert (await ask(ENVS[api](base))).count == 2
    assert len(stub.requests) == 2
    assert "count" in json.dumps(stub.requests[1].json)  # the retry names what was missing


@pytest.mark.parametrize("api", list(ENVS))
async def test_malformed_twice_fails_with_provider_error(api):
    stub = StubLLM(["not json at all", '{"greeting": 1}'])
    with stub.serve() as base, pytest.raises(ProviderError, match="malformed JSON twice"):
        await ask(ENVS[api](base))


@pytest.mark.parametrize(("status", "error", "retryable"), [
    (429, ProviderError, True), (500, ProviderError, True), (503, ProviderError, True),
    (401, ProviderRefused, False), (403, ProviderRefused, False), (404, ProviderRefused, False),
    (400, BadInput, False), (422, BadInput, False),
])
@pytest.mark.parametrize("api", list(ENVS))
async def test_http_errors_are_translated(api, status, error, retryable):
    stub = StubLLM([Reply(status=status, body={"error": {"message": "scripted failure"}})])
    with stub.serve() as base, pytest.raises(error, match=f"HTTP {status}: scripted failure") as caught:
        await ask(ENVS[api](base))
    assert type(caught.value) is error and caught.value.retryable is retryable
    assert len(stub.requests) == 1  # HTTP errors are the queue's to retry, not the adapter's


REFUSALS = {
    "openai": {"choices": [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant", "content": None, "refusal": "I can't help with that request."}}]},
    "openai-filter": {"choices": [{"index": 0, "finish_reason": "content_filter",
                                   "message": {"role": "assistant", "content": ""}}]},
    "anthropic": {"type": "message", "role": "assistant", "content": [], "stop_reason": "refusal"},
    "gemini": {"promptFeedback": {"blockReason": "SAFETY"}},
    "gemini-finish": {"candidates": [{"finishReason": "PROHIBITED_CONTENT", "index": 0}]},
}


@pytest.mark.parametrize(("case", "said"), [
    ("openai", "refusal: I can't help"), ("openai-filter", "content_filter"), ("anthropic", "stop_reason refusal"),
    ("gemini", "blockReason SAFETY"), ("gemini-finish", "finishReason PROHIBITED_CONTENT"),
])
async def test_a_refusal_is_bad_input_and_not_asked_again(case, said):
    stub = StubLLM([Reply(status=200, body=REFUSALS[case])])
    with stub.serve() as base, pytest.raises(BadInput, match=f"^params: the .* model refused to answer .*{said}") \
            as caught:
        await ask(ENVS[case.split("-")[0]](base))
    assert caught.value.field == "params" and not caught.value.retryable
    assert len(stub.requests) == 1  # a refusal is not retried as a malformed answer


async def test_timeout_is_a_retryable_provider_error():
    stub = StubLLM([Reply(text=ANSWER, delay_s=1.0)])
    with stub.serve() as base, pytest.raises(ProviderError, match="did not answer within 0.2 s") as caught:
        await ask({**ENVS["anthropic"](base), "MEDIAMILL_LLM_TIMEOUT_S": "0.2"})
    assert caught.value.retryable


async def test_unreachable_server_is_a_retryable_provider_error():
    with StubLLM().serve() as base:
        pass  # the port is closed again
    with pytest.raises(ProviderError, match="could not be reached") as caught:
        await ask(ENVS["openai"](base))
    assert caught.value.retryable


async def test_non_json_body_is_a_provider_error():
    stub = StubLLM([Reply(status=200, body="<html>gateway</html>")])
    with stub.serve() as base, pytest.raises(ProviderError, match="not JSON"):
        await ask(ENVS["gemini"](base))


async def test_in_process_transport_speaks_the_same_api():
    stub = StubLLM([ANSWER])
    async with select_provider({"ANTHROPIC_API_KEY": "k"}, transport=stub.transport()) as llm:
        answer = await generate_json(llm, system="s", prompt="p", answer=Greeting)
    assert answer.count == 2
    assert stub.requests[0].path == "/v1/messages"

"""The text tasks through a real worker on the embedded Redis: offline, through a local LLM server, and failures."""

import json

import pytest

from mediamill.errors import JobFailed
from mediamill.providers.llm.stub import Reply, StubLLM
from mediamill.storage import open_store

PRODUCT = {"name": "Trail Mug", "description": "A travel mug that keeps coffee hot for six hours.",
           "features": ["Leak-proof lid", "Dishwasher safe"], "price": 24}


async def result_of(handle):
    """The job's result. Broker.status reads the job hash before its state, so a job that finishes in
    between looks completed without its return value yet; reading again gets it (reported to the lead)."""
    result = await handle.result(60)
    return result if result is not None else (await handle.status()).result


async def test_copy_research_and_content_offline_end_to_end(client, worker, settings):
    async with worker(["text", "research", "content"]):
        copy = await result_of(await client.submit("text.copy", {"product": PRODUCT, "platforms": ["x", "tiktok"]}))
        research_handle = await client.submit("content.research", {"topic": "travel mugs for commuters"})
        research = await result_of(research_handle)
        content = await result_of(await client.submit("content.generate", {"idea": "Coffee on the commute",
                                                                           "brand": {"name": "Trail Co"}},
                                                      [research["research_file"]["artifact"]]))
    assert copy["provider"] == "offline" and copy["platforms"]["twitter"]["length"] <= 280
    script = open_store(settings).local_path(copy["script_file"]["artifact"], scratch=settings.resolved_data_dir)
    assert script.read_text().strip() == copy["script"]
    assert research["scores"]["virality"] > 0
    assert content["quality"]["score"] > 0 and content["title"]
    status = await research_handle.status()
    assert status.state == "completed" and status.progress == 100


async def test_copy_through_a_local_llm_server(client, worker, monkeypatch):
    answer = {"headline": "Hot coffee, anywhere", "script": "Meet Trail Mug. Get yours today.",
              "platforms": {"instagram": {"hook": "Hot coffee, anywhere.", "body": "Six hours hot.",
                                          "cta": "Link in bio.", "hashtags": ["#TrailMug"]}}}
    stub = StubLLM([json.dumps(answer)])
    with stub.serve() as base:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "ak-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", base)
        async with worker(["text"]):
            result = await result_of(await client.submit("text.copy", {"product": PRODUCT, "platforms": ["instagram"]}))
    assert result["provider"] == "anthropic"
    assert result["platforms"]["instagram"]["text"].startswith("Hot coffee, anywhere.")
    assert stub.requests[0].path == "/v1/messages"


async def test_provider_outage_is_retried_then_succeeds(client, worker, monkeypatch):
    answer = {"title": "T", "sections": [{"heading": "H", "body": "B."}], "cta": "Go."}
    stub = StubLLM([Reply(status=503), json.dumps(answer)])
    with stub.serve() as base:
        monkeypatch.setenv("OPENAI_BASE_URL", base + "/v1")
        async with worker(["content"]):
            handle = await client.submit("content.generate", {"idea": "x", "brand": {"name": "B"}})
            result = await result_of(handle)
    assert result["provider"] == "openai" and (await handle.status()).attempts == 2


async def test_bad_input_fails_at_once_without_retries(client, worker, monkeypatch):
    # A 400 from the provider (e.g. prompt too long) is BadInput: no pointless retries.
    stub = StubLLM([Reply(status=400, body={"error": {"message": "context length exceeded"}})] * 3)
    with stub.serve() as base:
        monkeypatch.setenv("GEMINI_API_KEY", "gk")
        monkeypatch.setenv("GEMINI_BASE_URL", base)
        async with worker(["text"]):
            handle = await client.submit("text.copy", {"product": PRODUCT})
            with pytest.raises(JobFailed):
                await handle.result(60)
            # Read the status again: Broker.status reads the job hash before its state, so the first
            # "failed" it sees may come without the reason yet (reported to the lead).
            status = await handle.status()
    assert status.error.type == "BadInput" and "context length exceeded" in status.error.message
    assert status.error.retryable is False
    assert status.attempts == 1 and len(stub.requests) == 1

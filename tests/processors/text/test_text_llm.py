"""The text tasks' LLM path, against a local server speaking each provider's API."""

import json

import pytest

from mediamill.errors import ProviderError
from mediamill.providers.llm.stub import Reply, StubLLM

LONG = "Built for long days outside. " * 20


def copy_answer(platforms, **extra):
    return json.dumps({
        "headline": "Trail Mug keeps your coffee hot from trailhead to summit, all day long",
        "script": "Meet Trail Mug. It keeps coffee hot for six hours. It never leaks. It fits your cup holder. "
                  "Get yours today.",
        "platforms": {name: {"hook": "Hot coffee, anywhere.", "body": LONG, "cta": "Get yours today.",
                             "hashtags": ["TrailMug", "#coffee lovers", "#"]} for name in platforms},
        **extra,
    })


@pytest.mark.parametrize("api", ["openai", "anthropic", "gemini"])
async def test_copy_uses_the_configured_provider_and_enforces_limits(run_text, llm_env, api):
    stub = StubLLM([copy_answer(["twitter", "linkedin"])])
    with stub.serve() as base:
        llm_env(api, base)
        result, ctx = await run_text("text.copy", {"product": {"name": "Trail Mug", "price": 24},
                                                   "platforms": ["x", "linkedin"]})
    assert result["provider"] == api and result["model"]
    prompt = json.dumps(stub.requests[0].json)
    assert "Trail Mug" in prompt and "at most 280 characters" in prompt
    tweet = result["platforms"]["twitter"]
    assert tweet["length"] <= 280 < len(LONG)  # the model ignored the limit; fitting did not
    assert tweet["hashtags"] == ["#TrailMug"]  # over the limit, one hashtag is kept and the body is cut
    assert tweet["text"].count("…") == 1
    assert result["platforms"]["linkedin"]["hashtags"] == ["#TrailMug", "#coffeelovers"]
    assert len(result["headline"]) <= 60
    assert result["script"].count(".") <= 4  # at most four sentences are kept
    assert json.loads(ctx.path(result["copy_file"]["artifact"]).read_text())["provider"] == api


async def test_copy_missing_platform_is_retried_then_accepted(run_text, llm_env):
    stub = StubLLM([copy_answer(["twitter"]), copy_answer(["twitter", "tiktok"])])
    with stub.serve() as base:
        llm_env("openai", base)
        result, _ = await run_text("text.copy", {"product": {"name": "Mug"}, "platforms": ["twitter", "tiktok"]})
    assert set(result["platforms"]) == {"twitter", "tiktok"}
    assert "platforms missing from the answer: tiktok" in json.dumps(stub.requests[1].json)


async def test_copy_malformed_twice_is_a_provider_error(run_text, llm_env):
    stub = StubLLM(["{}", "[]"])
    with stub.serve() as base:
        llm_env("gemini", base)
        with pytest.raises(ProviderError, match="malformed JSON twice"):
            await run_text("text.copy", {"product": {"name": "Mug"}})


async def test_offline_param_overrides_keys(run_text, llm_env):
    stub = StubLLM()
    with stub.serve() as base:
        llm_env("anthropic", base)
        result, _ = await run_text("text.copy", {"product": {"name": "Mug"}, "provider": "offline"})
    assert result["provider"] == "offline" and stub.requests == []


async def test_research_through_gemini(run_text, llm_env):
    answer = {"keywords": [{"keyword": f"cold brew {i}", "score": 90 - i, "intent": "informational"} for i in range(30)],
              "angles": ["A guide"], "questions": ["Why cold brew?"], "competitors": [], "trends": ["summer"],
              "scores": {"virality": 70, "relevance": 80, "competition": 55}}
    stub = StubLLM([json.dumps(answer)])
    with stub.serve() as base:
        llm_env("gemini", base)
        result, _ = await run_text("content.research", {"topic": "cold brew", "type": "keywords", "max_keywords": 5})
    assert result["provider"] == "gemini"
    assert len(result["keywords"]) == 5 and result["scores"]["virality"] == 70
    assert set(result) >= {"keywords", "questions", "angles", "scores"} and "trends" not in result
    assert result["score_details"]["virality"]["formula"].startswith("the LLM's estimate")
    assert result["score_details"]["virality"]["evidence"]["provider"] == "gemini"


async def test_llm_research_measures_the_series_beside_its_estimates(run_text, llm_env):
    answer = {"keywords": [], "trends": ["summer"], "scores": {"virality": 70, "relevance": 80, "competition": 55}}
    stub = StubLLM([json.dumps(answer)])
    with stub.serve() as base:
        llm_env("openai", base)
        result, _ = await run_text("content.research", {"topic": "cold brew", "type": "trends",
                                                        "series": [{"name": "cold brew", "values": [10, 10, 20, 40]}]})
    assert result["trends"] == ["summer"] and result["series"][0]["direction"] == "rising"
    assert result["scores"]["trend"] == result["series"][0]["momentum"] == 100  # x4: the top of the scale
    assert "log2" in result["score_details"]["trend"]["formula"]
    assert any("estimates" in note for note in result["notes"])


async def test_research_scores_out_of_range_are_malformed(run_text, llm_env):
    bad = {"keywords": [], "scores": {"virality": 700, "relevance": 1, "competition": 1}}
    stub = StubLLM([json.dumps(bad), json.dumps(bad)])
    with stub.serve() as base:
        llm_env("anthropic", base)
        with pytest.raises(ProviderError, match="scores.virality"):
            await run_text("content.research", {"topic": "cold brew"})


async def test_content_through_openai_is_scored(run_text, llm_env):
    answer = {"title": "Cold Brew at Home", "summary": "How to do it.",
              "sections": [{"heading": "Grind", "body": "Use a coarse grind. It keeps the cold brew clear."},
                           {"heading": "Steep", "body": "Steep for twelve hours in the fridge."}],
              "cta": "Try it this weekend.", "hashtags": ["coldbrew", "#coffee"]}
    stub = StubLLM([json.dumps(answer)])
    with stub.serve() as base:
        llm_env("openai", base)
        result, _ = await run_text("content.generate", {"idea": "cold brew at home", "brand": {"name": "Bean There"},
                                                        "keywords": ["cold brew", "coarse grind"]})
    assert result["provider"] == "openai" and result["draft"] is False
    assert result["hashtags"] == ["#coldbrew", "#coffee"]
    assert result["quality"]["keyword_coverage"] == 100.0
    assert "coarse grind" in json.dumps(stub.requests[0].json)


def piece(body: str) -> str:
    return json.dumps({"title": "Cold Brew at Home", "summary": "How to do it.",
                       "sections": [{"heading": "Grind", "body": body}, {"heading": "Steep", "body": "Twelve hours."}],
                       "cta": "Try it this weekend.", "hashtags": ["#coldbrew"]})


async def test_a_word_the_brand_avoids_is_asked_away_once(run_text, llm_env):
    stub = StubLLM([piece("A cheap grinder will do."), piece("A simple grinder will do.")])
    with stub.serve() as base:
        llm_env("openai", base)
        result, _ = await run_text("content.generate", {"idea": "cold brew", "brand": {"name": "B", "avoid": ["cheap"]}})
    assert result["sections"][0]["body"] == "A simple grinder will do."
    assert "words the brand never uses: cheap" in json.dumps(stub.requests[1].json)
    assert result["quality"]["avoided_words"] == 100.0


async def test_a_second_answer_that_still_uses_it_is_kept_and_scored_down(run_text, llm_env):
    stub = StubLLM([piece("A cheap grinder will do."), piece("Cheap beans, cheap grinder.")])
    with stub.serve() as base:
        llm_env("gemini", base)
        result, _ = await run_text("content.generate", {"idea": "cold brew", "brand": {"name": "B", "avoid": ["cheap"]}})
    assert len(stub.requests) == 2 and result["quality"]["avoided_words"] == 75.0
    assert result["quality"]["details"]["avoided_words_present"] == ["cheap"]


async def test_rate_limited_provider_fails_retryably(run_text, llm_env):
    stub = StubLLM([Reply(status=429, body={"error": {"message": "slow down"}})])
    with stub.serve() as base:
        llm_env("openai", base)
        with pytest.raises(ProviderError, match="429") as caught:
            await run_text("content.generate", {"idea": "x", "brand": {"name": "B"}})
    assert caught.value.retryable

"""The text tasks through the local provider (SmolLM2-135M in-process): the model's answer goes through
the same guards as every other provider's. Slow: the model writes a few hundred tokens on the CPU."""

import pytest

from mediamill.processors.text.platforms import PLATFORMS

pytestmark = pytest.mark.slow


async def test_copy_through_the_local_model_keeps_every_limit(run_text):
    result, ctx = await run_text("text.copy", {"product": {"name": "Trail Mug", "description": "A steel travel mug "
                                               "that keeps coffee hot for six hours."},
                                               "platforms": ["x"], "provider": "local"})
    assert result["provider"] == "local" and result["model"] == "SmolLM2-135M-Instruct.Q4_1"
    tweet = result["platforms"]["twitter"]
    assert 0 < tweet["length"] <= PLATFORMS["twitter"].max_chars and tweet["limit"] == 280
    assert tweet["hashtags"] and all(tag.startswith("#") and " " not in tag for tag in tweet["hashtags"])
    assert 0 < len(result["headline"]) <= 60 and result["script"]
    assert ctx.path(result["copy_file"]["artifact"]).stat().st_size > 0


async def test_content_through_the_local_model_is_scored_on_its_keywords(run_text):
    result, _ = await run_text("content.generate", {
        "idea": "Brewing better coffee at home", "kind": "social", "length": "short", "keywords": ["coffee"],
        "brand": {"name": "Bean There", "voice": "warm, practical", "avoid": ["cheap"]}, "provider": "local"})
    assert result["provider"] == "local" and result["draft"] is False and len(result["sections"]) >= 2
    quality = result["quality"]
    # Not a template: keyword coverage can come out either way, so it is scored (omitted for templates).
    assert "keyword_coverage" in quality and "keyword_coverage" not in quality["omitted"]
    assert set(quality["weights"]) == {"readability", "length", "brand_voice", "avoided_words", "keyword_coverage"}

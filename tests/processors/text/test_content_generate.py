"""content.generate offline: a structured draft in the brand's voice, research as input, documented quality score."""

import json
import re

import pytest

from mediamill.errors import BadInput, LimitExceeded
from mediamill.processors.text import quality
from mediamill.settings import Settings

BRAND = {"name": "Bean There", "voice": "warm and witty", "audience": "home baristas",
         "values": ["fresh beans", "honest advice"]}


async def test_offline_piece_is_structured_honest_and_scored(run_text):
    result, ctx = await run_text("content.generate", {"idea": "Cold brew at home without the mistakes",
                                                      "brand": BRAND, "keywords": ["cold brew", "coarse grind"]})
    assert result["provider"] == "offline" and result["draft"] is True and "offline" in result["notes"][0]
    assert result["title"] == "Cold brew at home without the mistakes"
    assert len(result["sections"]) >= 3 and all(s["heading"] and s["body"] for s in result["sections"])
    assert "Bean There" in result["cta"] and "#BeanThere" in result["hashtags"]
    assert any("fresh beans and honest advice" in s["body"] for s in result["sections"])
    q = result["quality"]
    parts = {"readability", "length", "brand_voice", "avoided_words"}
    assert set(q) >= {"score", "details", "weights", "formulas", "omitted", *parts}
    assert set(q["weights"]) == set(q["formulas"]) == parts  # each part shown with its weight and formula
    # The template pastes the keywords in: coverage would be 100 by construction, so it is not scored.
    assert "keyword_coverage" not in q and "by construction" in q["omitted"]["keyword_coverage"]
    assert q["score"] == pytest.approx(sum(q[p] * w for p, w in q["weights"].items()) / sum(q["weights"].values()),
                                       abs=0.1)
    assert 0 < q["brand_voice"] <= 100 and q["details"]["brand_similarity"]["references"] == 1
    text = json.dumps(result)
    assert "{" not in "".join(s["body"] for s in result["sections"]) and "lorem" not in text.lower()
    markdown = ctx.path(result["markdown_file"]["artifact"]).read_text()
    assert markdown.startswith("# Cold brew at home without the mistakes\n") and "\n## " in markdown
    assert result["markdown_file"]["mime"] == "text/markdown"
    assert json.loads(ctx.path(result["content_file"]["artifact"]).read_text())["title"] == result["title"]


async def test_research_result_feeds_the_piece_as_an_input_artifact(run_text):
    research, research_ctx = await run_text("content.research", {"topic": "cold brew ratio", "type": "keywords",
                                                                  "text": "What ratio is best for cold brew? A 1:8 ratio."})
    research_path = research_ctx.path(research["research_file"]["artifact"])
    result, _ = await run_text("content.generate", {"idea": "A guide to cold brew", "brand": BRAND},
                               [research_path])
    headings = [s["heading"] for s in result["sections"]]
    assert "What ratio is best for cold brew?" in headings
    assert research["keywords"][0]["keyword"] in result["quality"]["details"]["keywords_found"]


async def test_research_as_a_param(run_text):
    research = {"keywords": [{"keyword": "nitro cold brew"}], "questions": ["Is nitro worth it?"]}
    result, _ = await run_text("content.generate", {"idea": "Nitro at home", "brand": BRAND, "research": research})
    assert "Is nitro worth it?" in [s["heading"] for s in result["sections"]]


async def test_avoided_words_lower_the_voice_score(run_text):
    brand = {**BRAND, "avoid": ["cold brew", "synergy"]}
    result, _ = await run_text("content.generate", {"idea": "Cold brew at home", "brand": brand})
    quality_ = result["quality"]
    assert quality_["avoided_words"] == 75.0 and quality_["details"]["avoided_words_present"] == ["cold brew"]


@pytest.mark.parametrize("kind", ["blog", "newsletter", "social", "landing"])
async def test_every_kind_and_length(run_text, kind):
    words = []
    for length in ("short", "long"):
        result, _ = await run_text("content.generate", {"idea": "Cold brew at home", "brand": BRAND,
                                                        "kind": kind, "length": length})
        words.append(result["quality"]["details"]["words"])
        assert result["quality"]["details"]["target_words"] > 0
    if kind == "social":
        assert max(words) <= 150  # a post, not an article
    else:
        assert words[1] > words[0]


async def test_voice_changes_the_writing(run_text):
    texts = set()
    for voice in ("warm", "bold and confident", "professional", "calm"):
        result, _ = await run_text("content.generate", {"idea": "Cold brew at home",
                                                        "brand": {**BRAND, "voice": voice}})
        texts.add(result["sections"][0]["body"] + result["cta"])
    assert len(texts) == 4


def test_quality_heuristics():
    assert quality.syllables("coffee") == 2 and quality.syllables("the") == 1 and quality.syllables("readable") == 3
    assert quality.flesch("The cat sat on the mat.") > 100 > quality.flesch(
        "Institutional considerations notwithstanding, organizational transformation necessitates deliberation.")
    assert quality.length_score(800, 800) == 100 and quality.length_score(400, 800) == 62.5
    assert quality.length_score(2000, 800) == 0
    scored = quality.score(title="T", sections=[{"heading": "A", "body": "Cold brew is easy."}], cta="",
                           keywords=["cold brew", "espresso"], target_words=10, brand=BRAND, template=False)
    assert scored["keyword_coverage"] == 50.0 and scored["weights"]["keyword_coverage"] == 0.15


@pytest.mark.parametrize(("params", "field"), [
    ({"idea": "", "brand": BRAND}, "params.idea"),
    ({"idea": "x"}, "params.brand"),
    ({"idea": "x", "brand": {"voice": "warm"}}, "params.brand.name"),
    ({"idea": "x", "brand": BRAND, "kind": "poem"}, "params.kind"),
    ({"idea": "x", "brand": BRAND, "length": "epic"}, "params.length"),
    ({"idea": "x", "brand": BRAND, "research": "notes"}, "params.research"),
])
async def test_bad_content_input_names_the_field(run_text, params, field):
    with pytest.raises(BadInput, match=re.escape(field)):
        await run_text("content.generate", params)


async def test_research_input_must_be_a_json_object(run_text, tmp_path):
    notes = tmp_path / "notes.json"
    notes.write_text("[1, 2]")
    with pytest.raises(BadInput, match="must hold a JSON object"):
        await run_text("content.generate", {"idea": "x", "brand": BRAND}, [notes])


async def test_huge_research_hits_the_limit(run_text, data_dir):
    tight = Settings(data_dir=data_dir, limits={"max_text_chars": 1_000})
    with pytest.raises(LimitExceeded, match="params.research"):
        await run_text("content.generate", {"idea": "x", "brand": BRAND, "research": {"notes": "n" * 2_000}},
                       settings_=tight)

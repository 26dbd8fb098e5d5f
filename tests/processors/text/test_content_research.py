"""content.research offline: keywords, questions, angles, scores and honest notes; sections per type; bad input."""

import json
import re

import pytest

from mediamill.errors import BadInput, LimitExceeded
from mediamill.settings import Settings

BRIEF = ("Cold brew coffee is smoother than iced coffee. Many beginners grind too fine, steep too long or use "
         "the wrong ratio. What ratio should you use for cold brew coffee? A coarse grind and a 1:8 ratio work "
         "well. Cold brew concentrate keeps for two weeks in the fridge, and cold brew coffee is easy to scale.")


async def test_full_research_from_the_text_itself(run_text):
    result, ctx = await run_text("content.research", {
        "topic": "7 mistakes beginners make with cold brew coffee", "text": BRIEF, "audience": "home baristas",
        "competitors": ["Blue Bottle", {"name": "Chemex", "description": "pour over coffee makers for iced coffee"}]})
    assert result["provider"] == "offline" and result["type"] == "full"
    assert result["keywords"][0]["keyword"] == "cold brew coffee" and result["keywords"][0]["score"] == 100
    assert all(0 <= k["score"] <= 100 and 0 <= k["competition"] <= 100 for k in result["keywords"])
    assert "What ratio should you use for cold brew coffee?" in result["questions"]  # asked by the text itself
    assert all(q.endswith("?") for q in result["questions"])
    assert len(result["angles"]) >= 3 and all("{" not in a for a in result["angles"])
    chemex = next(c for c in result["competitors"] if c["name"] == "Chemex")
    assert chemex["shared_keywords"] == ["iced coffee"] and "cold brew coffee" in chemex["gaps"]
    assert "no live trend" in result["trends"]["note"] and "mistakes" in result["trends"]["power_words"]
    assert all(0 <= v <= 100 for v in result["scores"].values())
    assert any("offline" in note for note in result["notes"])
    stored = json.loads(ctx.path(result["research_file"]["artifact"]).read_text())
    assert stored["keywords"] == result["keywords"]


@pytest.mark.parametrize(("kind", "sections"), [
    ("keywords", {"keywords", "questions", "angles"}),
    ("competitors", {"keywords", "competitors"}),
    ("trends", {"trends", "angles", "questions"}),
])
async def test_each_type_returns_its_sections(run_text, kind, sections):
    result, _ = await run_text("content.research", {"topic": "cold brew coffee", "text": BRIEF, "type": kind})
    present = {name for name in ("keywords", "questions", "angles", "competitors", "trends") if name in result}
    assert present == sections and "scores" in result


async def test_competitors_without_names_say_offline_cannot_discover_them(run_text):
    result, _ = await run_text("content.research", {"topic": "cold brew", "type": "competitors"})
    assert result["competitors"] == []
    assert any("cannot discover competitors" in note for note in result["notes"])


async def test_scores_follow_the_documented_heuristics(run_text):
    plain, _ = await run_text("content.research", {"topic": "coffee"})
    catchy, _ = await run_text("content.research", {"topic": "7 surprising new cold brew hacks nobody tells you",
                                                    "audience": "students"})
    assert catchy["scores"]["virality"] > plain["scores"]["virality"]
    # one generic word is crowded; a long-tail phrase is not
    assert plain["scores"]["competition"] > catchy["scores"]["competition"]
    covered, _ = await run_text("content.research", {"topic": "cold brew ratio", "text": BRIEF})
    uncovered, _ = await run_text("content.research", {"topic": "espresso machines", "text": BRIEF})
    assert covered["scores"]["relevance"] > uncovered["scores"]["relevance"]


async def test_text_input_artifact_is_analysed(run_text, tmp_path):
    brief = tmp_path / "brief.txt"
    brief.write_text(BRIEF)
    result, _ = await run_text("content.research", {"topic": "coffee at home", "type": "keywords"}, [brief])
    assert any(k["keyword"] == "cold brew coffee" for k in result["keywords"])


async def test_same_input_same_research(run_text):
    first, _ = await run_text("content.research", {"topic": "cold brew", "text": BRIEF})
    again, _ = await run_text("content.research", {"topic": "cold brew", "text": BRIEF})
    first.pop("research_file"), again.pop("research_file")
    assert first == again


@pytest.mark.parametrize(("params", "field"), [
    ({"topic": ""}, "params.topic"),
    ({"topic": "x", "type": "seo"}, "params.type"),
    ({"topic": "x", "competitors": [{"description": "no name"}]}, "params.competitors"),
    ({"topic": "x", "max_keywords": 0}, "params.max_keywords"),
    ({"topic": ["x"]}, "params.topic"),
])
async def test_bad_research_input_names_the_field(run_text, params, field):
    with pytest.raises(BadInput, match=re.escape(field)):
        await run_text("content.research", params)


async def test_binary_input_is_refused(run_text, tmp_path):
    image = tmp_path / "x.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(BadInput, match="not text or JSON"):
        await run_text("content.research", {"topic": "x"}, [image])


async def test_long_text_hits_the_limit(run_text, data_dir, tmp_path):
    tight = Settings(data_dir=data_dir, limits={"max_text_chars": 1_000})
    with pytest.raises(LimitExceeded, match="params.text"):
        await run_text("content.research", {"topic": "x", "text": "word " * 400}, settings_=tight)
    big = tmp_path / "big.txt"
    big.write_text("word " * 400)
    with pytest.raises(LimitExceeded, match="inputs"):
        await run_text("content.research", {"topic": "x"}, [big], settings_=tight)

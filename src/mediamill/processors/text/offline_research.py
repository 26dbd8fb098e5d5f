"""Offline research: keywords, angles, questions and scores derived only from the given text, by heuristics.

Nothing here knows search volumes or live trends; the result says so in `notes`. The formulas are
documented in docs/reference/tasks/content.md ("How the offline research is computed").
"""

from __future__ import annotations

import random
import re

from mediamill.processors.text.keywords import Keyword, extract_keywords, stopwords, words
from mediamill.processors.text.signals import (
    COMMERCIAL,
    LIST_CUES,
    NOVELTY,
    POWER,
    SEASONAL,
    TRANSACTIONAL,
    intent_of,
)

# No "{k1} vs {k2}" templates: offline, nothing says the two phrases are alternatives to each other.
ANGLES = ("A beginner's guide to {k1}", "What nobody tells you about {k1}",
          "{n} mistakes people make with {k1}", "How {audience} use {k1}",
          "The real cost of {k1}", "{K1}, explained in five minutes", "Why {k2} {changes} the way we think about {k1}")
QUESTIONS = ("What {is} {k1}?", "How {does} {k1} work?", "{Is} {k1} worth it?", "How do you choose {k1}?",
             "How much {does} {k1} cost?",
             "What are the best alternatives to {k1}?", "How do {audience} get started with {k1}?")


def clamp(value: float) -> float:
    return round(max(0.0, min(100.0, value)), 1)


def keyword_rows(topic: str, text: str, limit: int) -> list[dict]:
    # The topic is repeated so its phrases outrank incidental phrases of a long source text.
    found = extract_keywords(f"{topic}. {topic}. {text}", limit)
    return [{"keyword": k.phrase, "score": k.score, "count": k.count, "intent": intent_of(k.phrase),
             "competition": keyword_competition(k)} for k in found]


def keyword_competition(keyword: Keyword) -> float:
    """Short, commercial phrases are crowded; long-tail phrases are not (1 word ~85 ... 4 words ~30)."""
    length = len(keyword.phrase.split())
    base = {1: 85, 2: 65, 3: 45}.get(length, 30)
    return clamp(base + (10 if intent_of(keyword.phrase) != "informational" else 0))


def virality(topic: str, audience: str) -> float:
    """Emotion, curiosity, novelty and list cues in the topic, and a headline-sized length."""
    topic_words = set(words(topic))
    score = 30.0
    score += min(24, 8 * len(topic_words & POWER))
    score += 10 if topic_words & NOVELTY else 0
    score += 10 if (topic_words & LIST_CUES or re.search(r"\b\d+\b", topic)) else 0
    score += 8 if topic.strip().endswith("?") or topic_words & {"how", "why", "what"} else 0
    score += 6 if audience else 0
    score += 5 if topic_words & SEASONAL else 0
    count = len(topic.split())
    score += 8 if 4 <= count <= 12 else (-10 if count > 20 else 0)
    return clamp(score)


def relevance(topic: str, text: str, keywords: list[dict], audience: str) -> float:
    """How much of the topic the material covers: topic words found in the text and in the top keywords."""
    stops = stopwords()
    topic_words = {w for w in words(topic) if w not in stops and len(w) > 1}
    if not topic_words:
        return 0.0
    top = " ".join(k["keyword"] for k in keywords[:10])
    in_keywords = len(topic_words & set(top.split())) / len(topic_words)
    if not text.strip():
        return clamp(50 + 40 * in_keywords + (10 if audience else 0))
    in_text = len(topic_words & set(words(text))) / len(topic_words)
    return clamp(60 * in_text + 30 * in_keywords + (10 if audience else 0))


def competition(keywords: list[dict]) -> float:
    """Score-weighted mean of the top keywords' competition estimates."""
    top = keywords[:5]
    total = sum(k["score"] for k in top)
    return clamp(sum(k["competition"] * k["score"] for k in top) / total) if total else 50.0


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
    """Per competitor: which of our keywords its description shares, and which it leaves open (gaps)."""
    rows = []
    ours = [k["keyword"] for k in keywords[:10]]
    for competitor in competitors:
        theirs = set(words(competitor.get("description", "")))
        shared = [k for k in ours if set(k.split()) <= theirs]
        row = {"name": competitor["name"], "shared_keywords": shared,
               "gaps": [k for k in ours if k not in shared][:5]}
        if not theirs:
            row["note"] = "no description given: gaps are every top keyword"
        rows.append(row)
    return rows


def trend_signals(topic: str, text: str) -> dict:
    found = set(words(f"{topic} {text}"))
    return {"novelty_words": sorted(found & NOVELTY), "seasonal_words": sorted(found & SEASONAL),
            "power_words": sorted(found & POWER),
            "note": "offline: signals found in the text itself; no live trend or search-volume data"}

"""Research keywords by YAKE (Campos et al., 2020): an unsupervised, statistical extractor (term case,
position, frequency, context spread), no model and no corpus of its own."""

from __future__ import annotations

import re
from functools import cache

from mediamill.processors.text.keywords import restore_acronyms

MAX_PHRASE_WORDS = 3  # YAKE's n: longer n-grams are rarely search phrases
# YAKE is asked for more than wanted: sub-phrases and punctuation fragments are dropped after.
OVERFETCH = 3
FORMULA = ("score = 100 * best_yake / yake (YAKE ranks lower = better; the best phrase of the text is 100); "
           "count = occurrences in the topic and corpus")


@cache
def _extractor(top: int):
    import yake

    return yake.KeywordExtractor(lan="en", n=MAX_PHRASE_WORDS, top=top)


def occurrences(phrase: str, text_lower: str) -> int:
    return len(re.findall(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text_lower))


def yake_keywords(text: str, limit: int) -> list[dict]:
    """[{keyword, score (0-100, best 100), yake (raw, lower is better), count}], best first."""
    if not text.strip():
        return []
    lower = text.lower()
    merged: dict[str, float] = {}
    seen: set[str] = set()
    for phrase, value in _extractor(limit * OVERFETCH).extract_keywords(text):
        key = " ".join(phrase.lower().split())
        # YAKE does not lemmatise: "run" and "runs" are one keyword (the better-ranked form is kept).
        singular = re.sub(r"(?<=[a-z]{2})s$", "", key)
        if re.search(r"[^\w\s'’+-]", key) or singular in seen:  # "coffee. coffee": a fragment across sentences
            continue
        seen.add(singular)
        merged[key] = float(value)
    ranked = sorted(merged.items(), key=lambda item: item[1])
    counts = {phrase: occurrences(phrase, lower) for phrase, _ in ranked}
    kept: list[tuple[str, float]] = []
    for phrase, value in ranked:
        # A phrase only ever seen inside a better-ranked phrase ("brew" in "cold brew coffee") adds nothing.
        inside = sum(counts[better] * occurrences(phrase, better) for better, _ in kept)
        if counts[phrase] and counts[phrase] > inside:
            kept.append((phrase, value))
        if len(kept) == limit:
            break
    if not kept:
        return []
    best = kept[0][1]
    return [{"keyword": restore_acronyms(phrase, text), "score": round(100 * best / value, 1) if value > 0 else 100.0,
             "yake": round(value, 6), "count": counts[phrase]} for phrase, value in kept]

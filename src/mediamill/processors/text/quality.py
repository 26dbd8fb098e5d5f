"""The quality score of a written piece: explicit heuristics, each 0-100, combined with fixed weights.

    readability        Flesch reading ease; 100 inside 50-80 (plain, adult prose), -2 per point outside
    length             words / target: 100 within 80-130 %, proportional below, -1 per % above 130 %
    keyword_coverage   share of the target keywords (up to 8) whose words all appear in the piece
    structure          25 each: a title, at least two sections, a call to action, sentences <= 25 words on average
    voice              100 minus 25 per word the brand said to avoid that still appears
    score              0.25 readability + 0.2 length + 0.25 keywords + 0.2 structure + 0.1 voice
"""

from __future__ import annotations

import re

from mediamill.processors.text.keywords import words

WEIGHTS = {"readability": 0.25, "length": 0.2, "keyword_coverage": 0.25, "structure": 0.2, "voice": 0.1}
READABLE_BAND = (50.0, 80.0)
MAX_KEYWORDS = 8


def syllables(word: str) -> int:
    """Vowel groups, minus a silent final e; at least one (the usual heuristic, ~90 % right)."""
    word = word.lower()
    count = len(re.findall(r"[aeiouy]+", word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


def sentences_of(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if words(s)]


def flesch(text: str) -> float:
    all_words = words(text)
    count = len(all_words) or 1
    sentence_count = len(sentences_of(text)) or 1
    return 206.835 - 1.015 * count / sentence_count - 84.6 * sum(map(syllables, all_words)) / count


def band_score(value: float, low: float, high: float, slope: float) -> float:
    distance = low - value if value < low else value - high if value > high else 0.0
    return max(0.0, 100.0 - slope * distance)


def length_score(count: int, target: int) -> float:
    ratio = count / target if target else 1.0
    if ratio < 0.8:
        return 100 * ratio / 0.8
    return max(0.0, 100 - 100 * max(0.0, ratio - 1.3))


def covered(keyword: str, vocabulary: set[str]) -> bool:
    return all(w in vocabulary for w in words(keyword))


def score(*, title: str, sections: list[dict], cta: str, keywords: list[str], target_words: int,
          avoid: list[str] = ()) -> dict:
    text = "\n".join([title, *(f"{s['heading']}\n{s['body']}" for s in sections), cta])
    body_words = words(text)
    vocabulary = set(body_words)
    targets = [k for k in dict.fromkeys(k.lower() for k in keywords) if words(k)][:MAX_KEYWORDS]
    found = [k for k in targets if covered(k, vocabulary)]
    sentence_list = sentences_of(text)
    average_sentence = len(body_words) / (len(sentence_list) or 1)
    banned = [w for w in avoid if w.strip() and re.search(rf"\b{re.escape(w.strip())}\b", text, re.IGNORECASE)]
    reading_ease = flesch(text)
    parts = {
        "readability": band_score(reading_ease, *READABLE_BAND, slope=2),
        "length": length_score(len(body_words), target_words),
        "keyword_coverage": 100 * len(found) / len(targets) if targets else 100.0,
        "structure": 25.0 * sum((bool(title.strip()), len(sections) >= 2, bool(cta.strip()), average_sentence <= 25)),
        "voice": max(0.0, 100.0 - 25 * len(banned)),
    }
    total = sum(parts[name] * weight for name, weight in WEIGHTS.items())
    return {
        "score": round(total, 1),
        **{name: round(value, 1) for name, value in parts.items()},
        "details": {"flesch_reading_ease": round(reading_ease, 1), "words": len(body_words), "target_words": target_words,
                    "average_sentence_words": round(average_sentence, 1), "keywords_found": found,
                    "keywords_missing": [k for k in targets if k not in found], "avoided_words_present": banned},
        "method": "heuristic: see docs/reference/tasks/content.md, the quality score",
    }

"""Keyword extraction without a model: RAKE phrase scores blended with term frequency, and hashtags."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’+-]*")
# Phrase boundaries: sentence punctuation, brackets, dashes between spaces, line breaks.
_BOUNDARY = re.compile(r"[.,;:!?()\[\]{}\"“”\n\r\t|/•·…]+|\s[-–—]\s")
MAX_PHRASE_WORDS = 4


@cache
def stopwords() -> frozenset[str]:
    text = resources.files(__package__).joinpath("stopwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'").strip("'-") for w in _WORD.findall(text)]


@dataclass(frozen=True)
class Keyword:
    phrase: str
    score: float  # 0-100, relative to the best phrase of the same text
    count: int


def candidate_phrases(text: str) -> list[list[str]]:
    """Runs of content words between stopwords and punctuation (RAKE's candidates)."""
    stops = stopwords()
    phrases: list[list[str]] = []
    for chunk in _BOUNDARY.split(text):
        current: list[str] = []
        for word in words(chunk):
            if word in stops or len(word) < 2 or word.isdigit():
                if current:
                    phrases.append(current)
                current = []
            else:
                current.append(word)
        if current:
            phrases.append(current)
    # Long runs are usually lists of adjectives; keep the tail, which holds the noun.
    return [p[-MAX_PHRASE_WORDS:] for p in phrases]


def extract_keywords(text: str, limit: int = 15) -> list[Keyword]:
    """Top phrases by RAKE score (word degree / frequency, summed) times a log-frequency boost."""
    phrases = candidate_phrases(text)
    if not phrases:
        return []
    frequency: Counter[str] = Counter()
    degree: Counter[str] = Counter()
    for phrase in phrases:
        for word in phrase:
            frequency[word] += 1
            degree[word] += len(phrase)
    counts = Counter(" ".join(p) for p in phrases)
    raw: dict[str, float] = {}
    for phrase, count in counts.items():
        rake = sum(degree[w] / frequency[w] for w in phrase.split())
        # Repetition matters for a topic: a phrase said three times beats a one-off long phrase.
        raw[phrase] = rake * (1 + 0.5 * (count - 1)) + 0.3 * sum(frequency[w] for w in phrase.split())
    best = max(raw.values())
    first_seen = {phrase: index for index, phrase in reversed(list(enumerate(" ".join(p) for p in phrases)))}
    # Ties go to the phrase said first: a topic usually names its subject before its qualifiers.
    ranked = sorted(raw.items(), key=lambda item: (-round(item[1], 9), first_seen[item[0]]))
    return [Keyword(restore_acronyms(phrase, text), round(100 * score / best, 1), counts[phrase])
            for phrase, score in ranked[:limit]]


def restore_acronyms(phrase: str, text: str) -> str:
    """'ai tools' -> 'AI tools' when the text writes AI in capitals (lower case everywhere else)."""
    restored = []
    for word in phrase.split():
        match = re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)
        original = match.group(0) if match else word
        restored.append(original if len(original) > 1 and original.isupper() else word)
    return " ".join(restored)


def hashtag(phrase: str) -> str | None:
    """'trail mug' -> '#TrailMug'; None when nothing usable is left."""
    parts = [re.sub(r"[^A-Za-z0-9]", "", w) for w in re.split(r"[\s_-]+", phrase)]
    tag = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if not tag or tag.isdigit() or len(tag) > 30:
        return None
    return "#" + tag


def hashtags(phrases: list[str], limit: int) -> list[str]:
    """Distinct hashtags in order (case-insensitive), at most `limit`."""
    seen: set[str] = set()
    tags: list[str] = []
    for phrase in phrases:
        tag = hashtag(phrase)
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
        if len(tags) >= limit:
            break
    return tags

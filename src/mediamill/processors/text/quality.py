"""The quality score of a written piece: measured parts, each 0-100, combined with fixed weights.

Only parts that can come out either way are scored; what a writer guarantees is listed under
`omitted` with the reason instead (a title and a call to action: the answer schema requires them and
the template always writes them; the template writer pastes every target keyword in, so keyword
coverage of a template draft is 100 by construction and says nothing).

    readability        Flesch reading ease R; 100 inside 50 <= R <= 80, minus 2 per point outside
    length             words / target: 100 within 80-130 %, 100 x ratio / 0.8 below, -1 per % above 130 %
    brand_voice        cosine similarity s of the piece's passages to the brand's references (its voice
                       description and approved examples; MiniLM embeddings), each passage's best match,
                       averaged: 100 x clip((s - 0.15) / (0.65 - 0.15), 0, 1)
    avoided_words      100 minus 25 per `brand.avoid` word or phrase present, at least 0
    keyword_coverage   100 x (target keywords, up to 8, whose words all appear) / (target keywords);
                       LLM writers only (omitted for the template writer)
    score              sum of weight x part over the parts present, divided by the sum of their weights
"""

from __future__ import annotations

import re

from mediamill.processors.text.keywords import words

WEIGHTS = {"readability": 0.25, "length": 0.2, "brand_voice": 0.3, "avoided_words": 0.1, "keyword_coverage": 0.15}
FORMULAS = {
    "readability": "100 if 50 <= R <= 80 else max(0, 100 - 2 x distance to the band), R = Flesch reading ease",
    "length": "words/target r: 100 for 0.8 <= r <= 1.3; 100 r/0.8 below; max(0, 100 - 100 (r - 1.3)) above",
    "brand_voice": "100 clip((s - 0.15)/0.5, 0, 1), s = mean over passages of the best cosine to a brand reference",
    "avoided_words": "max(0, 100 - 25 x avoided words present)",
    "keyword_coverage": "100 x keywords found / target keywords",
}
OMITTED = {
    "title_and_cta": "always present: the answer schema requires them and the template writes them",
}
TEMPLATE_KEYWORDS = "the template writer pastes every target keyword in: 100 by construction"
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


def brand_references(brand: dict) -> list[str]:
    """What a piece is compared with: a sentence describing the voice, then the approved examples."""
    described = f"{brand['name']} writes in a {brand.get('voice') or 'friendly'} voice"
    if brand.get("audience"):
        described += f" for {brand['audience']}"
    if brand.get("values"):
        described += f", about {', '.join(brand['values'])}"
    return [described + ".", *(e for e in brand.get("examples", []) if e.strip())]


def avoided_present(text: str, avoid: list[str]) -> list[str]:
    """The brand's avoided words or phrases that `text` contains (whole words, any case)."""
    return [w for w in avoid if w.strip() and re.search(rf"\b{re.escape(w.strip())}\b", text, re.IGNORECASE)]


def score(*, title: str, sections: list[dict], cta: str, keywords: list[str], target_words: int, brand: dict,
          template: bool, embedder=None) -> dict:
    """Every part with its value, weight and formula; `template`: the piece came from the template writer."""
    from mediamill.processors.text.embeddings import band, brand_similarity, default_embedder

    text = "\n".join([title, *(f"{s['heading']}\n{s['body']}" for s in sections), cta])
    body_words = words(text)
    vocabulary = set(body_words)
    targets = [k for k in dict.fromkeys(k.lower() for k in keywords) if words(k)][:MAX_KEYWORDS]
    found = [k for k in targets if covered(k, vocabulary)]
    sentence_list = sentences_of(text)
    average_sentence = len(body_words) / (len(sentence_list) or 1)
    banned = avoided_present(text, brand.get("avoid", []))
    reading_ease = flesch(text)
    passages = [s["body"] for s in sections if s["body"].strip()] + ([cta] if cta.strip() else [])
    voice = brand_similarity(embedder or default_embedder(), passages or [title], brand_references(brand))
    parts = {
        "readability": band_score(reading_ease, *READABLE_BAND, slope=2),
        "length": length_score(len(body_words), target_words),
        "brand_voice": band(voice["similarity"]),
        "avoided_words": max(0.0, 100.0 - 25 * len(banned)),
    }
    omitted = dict(OMITTED)
    if template:
        omitted["keyword_coverage"] = TEMPLATE_KEYWORDS
    elif targets:
        parts["keyword_coverage"] = 100 * len(found) / len(targets)
    else:
        omitted["keyword_coverage"] = "no target keywords"
    weight = sum(WEIGHTS[name] for name in parts)
    total = sum(parts[name] * WEIGHTS[name] for name in parts) / weight
    return {
        "score": round(total, 1),
        **{name: round(value, 1) for name, value in parts.items()},
        "weights": {name: WEIGHTS[name] for name in parts},
        "formulas": {name: FORMULAS[name] for name in parts},
        "omitted": omitted,
        "details": {"flesch_reading_ease": round(reading_ease, 1), "words": len(body_words), "target_words": target_words,
                    "average_sentence_words": round(average_sentence, 1), "keywords_found": found,
                    "keywords_missing": [k for k in targets if k not in found], "avoided_words_present": banned,
                    "brand_similarity": voice},
        "method": "measured parts, see docs/reference/tasks/content.md, the quality score",
    }

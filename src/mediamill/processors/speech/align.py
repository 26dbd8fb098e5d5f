"""Known-script alignment: the script's exact words, timed by the recogniser's words.

Both word lists are normalised (lower case, letters and digits only) and aligned with difflib.
Matched words take the recognised timing; a run of script words that the recogniser heard
differently ("$4.99" heard as "$4" ".99") shares the run's time span by length; script words it
missed get times interpolated in the gap between their neighbours.
"""

from __future__ import annotations

import difflib
import re

# Time given to each script word the recogniser missed at the very start or end of the audio.
MISSED_WORD_S = 0.4
_NON_WORD = re.compile(r"[\W_]+")


def normalise(token: str) -> str:
    return _NON_WORD.sub("", token.lower())


def script_tokens(script: str) -> list[str]:
    """The script's words; punctuation-only tokens ("—", "…") stick to a neighbouring word."""
    tokens: list[str] = []
    leading = ""
    for token in script.split():
        if normalise(token):
            tokens.append(f"{leading}{token}")
            leading = ""
        elif tokens:
            tokens[-1] = f"{tokens[-1]} {token}"
        else:
            leading = f"{leading}{token} "
    return tokens


def align_to_script(words: list[dict], script: str, duration: float) -> list[dict]:
    """Script words with start/end/confidence taken from the recognised words."""
    tokens = script_tokens(script)
    timed: list[dict | None] = [None] * len(tokens)
    heard = [normalise(word["word"]) for word in words]
    matcher = difflib.SequenceMatcher(None, heard, [normalise(t) for t in tokens], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for offset in range(i2 - i1):
                word = words[i1 + offset]
                timed[j1 + offset] = _word(tokens[j1 + offset], word["start"], word["end"], word["confidence"])
        elif op == "replace":
            span = words[i1:i2]
            confidence = sum(word["confidence"] for word in span) / len(span)
            _spread(tokens, timed, j1, j2, span[0]["start"], span[-1]["end"], confidence)
    _interpolate_missing(tokens, timed, duration)
    return timed  # type: ignore[return-value]


def _word(text: str, start: float, end: float, confidence: float) -> dict:
    return {"word": text, "start": round(start, 3), "end": round(end, 3), "confidence": round(confidence, 3)}


def _spread(tokens: list[str], timed: list, j1: int, j2: int, start: float, end: float, confidence: float) -> None:
    """Share [start, end] among tokens[j1:j2] in proportion to their length."""
    lengths = [max(1, len(normalise(token))) for token in tokens[j1:j2]]
    total, cursor = sum(lengths), start
    for offset, length in enumerate(lengths):
        stop = cursor + (end - start) * length / total
        timed[j1 + offset] = _word(tokens[j1 + offset], cursor, stop, confidence)
        cursor = stop


def _interpolate_missing(tokens: list[str], timed: list, duration: float) -> None:
    index = 0
    while index < len(timed):
        if timed[index] is not None:
            index += 1
            continue
        run_end = index
        while run_end < len(timed) and timed[run_end] is None:
            run_end += 1
        count = run_end - index
        end = timed[run_end]["start"] if run_end < len(timed) else None
        start = timed[index - 1]["end"] if index > 0 else None
        if start is None:  # missed words before the first heard one: just before it
            start = max(0.0, (end if end is not None else 0.0) - MISSED_WORD_S * count)
        if end is None:  # missed words after the last heard one: just after it
            end = min(max(start, duration), start + MISSED_WORD_S * count)
        _spread(tokens, timed, index, run_end, start, max(start, end), 0.0)
        index = run_end

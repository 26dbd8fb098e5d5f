"""Caption layout: timed words -> cues of at most N lines of M characters, broken at punctuation.

Rules (all parameters of speech.captions): a cue closes at a sentence end, at a pause, when the
next word would not fit in max_lines x max_chars, or when it would last longer than max_cue_s; it
also closes early after a comma once it is two thirds full. Each cue lasts at least min_cue_s when
the gap to the next allows, cues never overlap (min_gap_s apart) and all lie within the audio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SENTENCE_END = (".", "!", "?", "…", '."', '?"', '!"', ".”", "?”", "!”")
CLAUSE_END = (",", ";", ":", "—", "–")
ABBREVIATION = re.compile(r"^(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|vs|etc|No|Inc|Ltd|Co|Mt)\.$", re.I)
# A silence this long between two words always starts a new cue.
PAUSE_S = 0.8


@dataclass(frozen=True)
class LayoutRules:
    max_chars_per_line: int = 42
    max_lines: int = 2
    min_cue_s: float = 0.8
    max_cue_s: float = 6.0
    min_gap_s: float = 0.04


def build_cues(words: list[dict], rules: LayoutRules, duration: float) -> list[dict]:
    """Cues {start, end, lines, text} laid out from words {word, start, end}."""
    groups: list[list[dict]] = []
    current: list[dict] = []
    for word in words:
        if current and _must_close(current, word, rules):
            groups.append(current)
            current = []
        current.append(word)
    if current:
        groups.append(current)
    cues = [{"start": group[0]["start"], "end": group[-1]["end"],
             "lines": wrap([w["word"] for w in group], rules.max_chars_per_line, rules.max_lines)}
            for group in groups]
    _fix_timing(cues, rules, duration)
    for cue in cues:
        cue["text"] = "\n".join(cue["lines"])
    return cues


def _must_close(current: list[dict], word: dict, rules: LayoutRules) -> bool:
    last = current[-1]["word"]
    if _ends_sentence(last, word["word"]) or word["start"] - current[-1]["end"] >= PAUSE_S:
        return True
    if word["end"] - current[0]["start"] > rules.max_cue_s:
        return True
    texts = [w["word"] for w in current] + [word["word"]]
    if not _fits(texts, rules.max_chars_per_line, rules.max_lines):
        return True
    capacity = rules.max_chars_per_line * rules.max_lines
    return last.endswith(CLAUSE_END) and len(" ".join(texts[:-1])) >= capacity * 2 / 3


def _ends_sentence(word: str, following: str) -> bool:
    """A sentence ends here: final punctuation, not an abbreviation ("Dr.", "p.m."), a capital next."""
    if not word.endswith(SENTENCE_END) or ABBREVIATION.search(word):
        return False
    first = following.lstrip("\"'“‘([¿¡")[:1]
    return not first or not first.islower()


def _fits(texts: list[str], max_chars: int, max_lines: int) -> bool:
    return len(_greedy(texts, max_chars)) <= max_lines


def _greedy(texts: list[str], max_chars: int) -> list[list[str]]:
    """Fill lines word by word; a word longer than a line gets a line of its own."""
    lines: list[list[str]] = [[]]
    for text in texts:
        if lines[-1] and len(" ".join([*lines[-1], text])) > max_chars:
            lines.append([])
        lines[-1].append(text)
    return lines


def wrap(texts: list[str], max_chars: int, max_lines: int) -> list[str]:
    """Words into lines: greedy fill; two lines are balanced, preferring a break after punctuation."""
    lines = _greedy(texts, max_chars)
    if len(lines) == 2 and max_lines >= 2:
        return _balanced_two(texts, max_chars)
    return [" ".join(line) for line in lines]


def _balanced_two(texts: list[str], max_chars: int) -> list[str]:
    best, best_score = None, None
    for cut in range(1, len(texts)):
        top, bottom = " ".join(texts[:cut]), " ".join(texts[cut:])
        if len(top) > max_chars or len(bottom) > max_chars:
            continue
        score = abs(len(top) - len(bottom)) - (8 if texts[cut - 1].endswith(CLAUSE_END + SENTENCE_END) else 0)
        if best_score is None or score < best_score:
            best, best_score = [top, bottom], score
    if best is None:  # a word longer than a line: keep the greedy lines
        half = max(1, len(texts) // 2)
        return [" ".join(texts[:half]), " ".join(texts[half:])]
    return best


def _fix_timing(cues: list[dict], rules: LayoutRules, duration: float) -> None:
    """Clamp to the audio, stretch short cues up to min_cue_s, keep min_gap_s between cues."""
    for index, cue in enumerate(cues):
        start = min(max(0.0, cue["start"]), duration)
        if index > 0:
            start = max(start, cues[index - 1]["end"] + rules.min_gap_s)
        following = cues[index + 1]["start"] - rules.min_gap_s if index + 1 < len(cues) else duration
        end = max(cue["end"], start + rules.min_cue_s)
        end = min(end, max(following, cue["end"]), duration, start + max(rules.max_cue_s, 0.1))
        if end <= start:  # squeezed by its neighbours: keep a sliver inside the audio
            start = min(start, max(0.0, duration - 0.01))
            end = min(duration, start + 0.01)
        cue["start"], cue["end"] = round(start, 3), round(end, 3)
    kept = [cue for index, cue in enumerate(cues) if cue["end"] > cue["start"]
            and (index == 0 or cue["start"] >= cues[index - 1]["end"])]
    cues[:] = kept

"""Caption layout rules and the SRT/WebVTT writers."""

import re

import pytest

from mediamill.processors.speech.layout import LayoutRules, build_cues, wrap
from mediamill.processors.speech.subtitles import timestamp, to_srt, to_vtt


def timed(text: str, start: float = 0.0, step: float = 0.3) -> list[dict]:
    words = []
    for index, word in enumerate(text.split()):
        words.append({"word": word, "start": round(start + index * step, 3),
                      "end": round(start + index * step + step * 0.8, 3), "confidence": 0.9})
    return words


def test_cues_respect_line_length_line_count_and_duration():
    words = timed("one two three four five six seven eight nine ten eleven twelve " * 6)
    rules = LayoutRules(max_chars_per_line=20, max_lines=2, max_cue_s=3.0)
    cues = build_cues(words, rules, duration=words[-1]["end"] + 1)
    assert len(cues) > 5
    for cue in cues:
        assert 1 <= len(cue["lines"]) <= 2
        assert all(len(line) <= 20 for line in cue["lines"])
        assert cue["end"] - cue["start"] <= 3.0 + 1e-6
    assert " ".join(" ".join(c["lines"]) for c in cues).split() == [w["word"] for w in words]


def test_sentence_ends_close_a_cue_but_abbreviations_and_lowercase_do_not():
    words = timed("Hello there. Dr. Smith came at 3 p.m. today. Then we left.")
    cues = build_cues(words, LayoutRules(), duration=20)
    assert [c["text"].replace("\n", " ") for c in cues] == [
        "Hello there.", "Dr. Smith came at 3 p.m. today.", "Then we left."]


def test_a_pause_starts_a_new_cue():
    words = timed("before the pause") + timed("after it", start=3.0)
    assert len(build_cues(words, LayoutRules(), duration=5)) == 2


def test_short_cues_are_stretched_but_never_overlap_or_leave_the_audio():
    words = [{"word": w, "start": s, "end": s + 0.1, "confidence": 1.0}
             for w, s in [("One.", 0.0), ("Two.", 0.3), ("Three.", 0.6), ("Four.", 2.0)]]
    rules = LayoutRules(min_cue_s=0.8, min_gap_s=0.04)
    cues = build_cues(words, rules, duration=2.3)
    for before, after in zip(cues, cues[1:], strict=False):
        assert before["end"] + 0.04 <= after["start"] + 1e-9
    assert cues[-1]["end"] <= 2.3
    assert cues[0]["end"] - cues[0]["start"] == pytest.approx(0.26, abs=0.01)  # squeezed by cue two
    assert all(0 <= c["start"] < c["end"] for c in cues)


def test_two_lines_are_balanced_and_prefer_a_break_after_a_comma():
    assert wrap("We built it by hand, with care and time".split(), 30, 2) == [
        "We built it by hand,", "with care and time"]


def test_srt_and_vtt_format():
    cues = [{"start": 0.0, "end": 1.5, "text": "Hello <world>"}, {"start": 3661.25, "end": 3662.0, "text": "a\nb"}]
    srt = to_srt(cues)
    assert srt.startswith("1\n00:00:00,000 --> 00:00:01,500\nHello <world>\n\n2\n01:01:01,250 --> 01:01:02,000\na\nb\n")
    vtt = to_vtt(cues)
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello &lt;world&gt;\n")
    assert re.search(r"01:01:01\.250 --> 01:01:02\.000\na\nb", vtt)
    assert to_srt([]) == "" and to_vtt([]) == "WEBVTT\n\n"
    assert timestamp(59.9996, ",") == "00:01:00,000"

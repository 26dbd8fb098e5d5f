"""Known-script alignment: the script's words with the recogniser's times."""

from mediamill.processors.speech.align import align_to_script, script_tokens


def heard(*items) -> list[dict]:
    return [{"word": w, "start": s, "end": e, "confidence": 0.8} for w, s, e in items]


def test_matched_words_take_the_recognised_times_and_the_script_spelling():
    words = heard(("hello", 0.0, 0.4), ("World", 0.5, 0.9))
    aligned = align_to_script(words, "Hello, world!", duration=1.0)
    assert [(w["word"], w["start"], w["end"]) for w in aligned] == [("Hello,", 0.0, 0.4), ("world!", 0.5, 0.9)]


def test_differently_heard_runs_share_their_time_span():
    words = heard(("It", 0.0, 0.2), ("costs", 0.2, 0.5), ("$4", 0.5, 0.8), (".99", 0.8, 1.4), ("today", 1.5, 2.0))
    aligned = align_to_script(words, "It costs four ninety-nine today", duration=2.0)
    assert [w["word"] for w in aligned] == ["It", "costs", "four", "ninety-nine", "today"]
    four, nine = aligned[2], aligned[3]
    assert four["start"] == 0.5 and nine["end"] == 1.4 and four["end"] == nine["start"]
    assert aligned[4]["start"] == 1.5


def test_missed_words_are_interpolated_in_order():
    words = heard(("the", 0.0, 0.2), ("cat", 1.2, 1.5))
    aligned = align_to_script(words, "the big black cat", duration=2.0)
    assert [w["word"] for w in aligned] == ["the", "big", "black", "cat"]
    assert 0.2 <= aligned[1]["start"] < aligned[2]["start"] < aligned[2]["end"] <= 1.2
    assert aligned[1]["confidence"] == 0.0


def test_missed_words_at_the_edges_stay_close_to_the_speech():
    words = heard(("middle", 5.0, 5.5))
    aligned = align_to_script(words, "start middle end", duration=60.0)
    assert aligned[0]["start"] >= 4.0 and aligned[2]["end"] <= 6.5


def test_extra_recognised_words_are_dropped_and_punctuation_sticks_to_words():
    words = heard(("um", 0.0, 0.1), ("yes", 0.2, 0.5))
    assert [w["word"] for w in align_to_script(words, "Yes —", duration=1)] == ["Yes —"]
    assert script_tokens("— Well … yes") == ["— Well …", "yes"]

"""Text for speech: sentences, what is speakable, text artifacts (plain and JSON)."""

import pytest

from mediamill.errors import BadInput, LimitExceeded
from mediamill.processors.speech.text import (
    MAX_SENTENCE_CHARS,
    check_text,
    sentences,
    speakable,
    text_from_artifact,
)


def test_sentences_keep_abbreviations_times_and_quotes_together():
    text = 'Hello world. Dr. Smith paid $4.99 at 3:30 p.m. today! Is that right? "Yes." Fine.'
    assert list(sentences(text)) == ["Hello world.", "Dr. Smith paid $4.99 at 3:30 p.m. today!",
                                     "Is that right?", '"Yes."', "Fine."]


def test_paragraphs_always_split_and_long_sentences_are_cut_at_commas():
    long = "A " + ", ".join(["clause with several words in it"] * 30) + "."
    parts = list(sentences(f"First paragraph without a stop\n\nSecond one. {long}"))
    assert parts[:2] == ["First paragraph without a stop", "Second one."]
    assert all(len(part) <= MAX_SENTENCE_CHARS for part in parts)
    assert " ".join(parts[2:]).replace(" ", "") == long.replace(" ", "")


def test_emoji_are_skipped_and_other_scripts_kept():
    assert speakable("Great news 🎉🚀 — Привет, 東京!") == "Great news — Привет, 東京!"
    assert speakable("👍🏽❤️") == ""


def test_empty_and_oversized_text_are_refused():
    with pytest.raises(BadInput, match="empty"):
        check_text(" \n\t ", 100)
    with pytest.raises(BadInput, match="empty"):
        check_text("🎉🎉", 100)
    with pytest.raises(LimitExceeded, match="over the limit"):
        check_text("x" * 101, 100)


@pytest.mark.parametrize("raw, mime, expected", [
    (b"Plain words.", "text/plain", "Plain words."),
    (b'{"text": "From JSON."}', "application/json", "From JSON."),
    (b'{"script": "A script."}', "application/json", "A script."),
    (b'"A JSON string."', "application/json", "A JSON string."),
    (b"{not json but text}", "text/plain", "{not json but text}"),
])
def test_text_artifacts(raw, mime, expected):
    assert text_from_artifact(raw, mime, 1000) == expected


@pytest.mark.parametrize("raw, message", [
    (b'{"title": 1}', "no text"),
    (b"\xff\xfe\x00bad", "not UTF-8"),
])
def test_unusable_text_artifacts(raw, message):
    with pytest.raises(BadInput, match=message):
        text_from_artifact(raw, "application/octet-stream", 1000)

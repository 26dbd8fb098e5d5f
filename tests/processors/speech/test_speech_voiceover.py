"""speech.voiceover called directly: formats, loudness, timings, text inputs, bad input."""

import json

import av
import pytest
from speech_media import ffmpeg_loudness

from mediamill.errors import BadInput, LimitExceeded
from mediamill.security import Limits
from mediamill.testing import call_task


def saved(ctx, result, tmp_path, name):
    return ctx.store.copy_to(result["audio"]["artifact"], tmp_path / name)


def test_wav_voiceover_meets_the_loudness_target_with_sentence_timings(sample_speech):
    path, result = sample_speech
    assert result["provider"] == "piper" and result["voice"] == "en_US-joe-medium"
    assert result["audio"]["mime"] == "audio/wav"
    integrated, peak = ffmpeg_loudness(path)  # FFmpeg's meter, not ours
    assert integrated == pytest.approx(-16.0, abs=1.0)
    assert peak <= -1.0 + 0.05
    sentences = result["sentences"]
    assert [s["text"] for s in sentences] == [
        "Hello and welcome.", "Dr. Smith paid $4.99 for 3 books on Monday!", "Is that a good price?",
        "The meeting with Anna Kowalski starts at noon."]
    assert sentences[0]["start"] == 0.0
    for before, after in zip(sentences, sentences[1:], strict=False):
        assert before["start"] < before["end"] <= after["start"]
    assert sentences[-1]["end"] == pytest.approx(result["duration_s"], abs=0.01)
    with av.open(str(path)) as container:
        assert float(container.duration / av.time_base) == pytest.approx(result["duration_s"], abs=0.05)


@pytest.mark.parametrize("fmt, codec", [("mp3", "mp3"), ("m4a", "aac")])
def test_compressed_formats(speech_settings, tmp_path, fmt, codec):
    result, ctx = call_task(speech_settings, "speech.voiceover",
                            {"text": "A short line for the encoder.", "format": fmt, "loudness_lufs": -18})
    path = saved(ctx, result, tmp_path, f"out.{fmt}")
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name.startswith(codec) and stream.channels == 1
        assert float(container.duration / av.time_base) == pytest.approx(result["duration_s"], abs=0.1)
    integrated, peak = ffmpeg_loudness(path)
    assert integrated == pytest.approx(-18.0, abs=1.0)
    assert peak <= -1.0 + 0.3  # lossy codecs move peaks a little; we aim 0.6 dB under the ceiling


def test_speed_and_pause_change_the_duration(speech_settings):
    text = "One sentence here. Another sentence there. A third one to finish."
    slow, _ = call_task(speech_settings, "speech.voiceover",
                        {"text": text, "format": "wav", "speed": 0.7, "sentence_pause_s": 1.0})
    fast, _ = call_task(speech_settings, "speech.voiceover",
                        {"text": text, "format": "wav", "speed": 1.5, "sentence_pause_s": 0.0})
    assert slow["duration_s"] > fast["duration_s"] * 1.6
    gap = slow["sentences"][1]["start"] - slow["sentences"][0]["end"]
    assert gap == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("payload, mime", [
    (b"Text from a file artifact.", "text/plain"),
    (json.dumps({"text": "Text from a JSON artifact."}).encode(), "application/json"),
])
def test_text_artifact_input(speech_settings, tmp_path, payload, mime):
    source = tmp_path / ("input.json" if mime == "application/json" else "input.txt")
    source.write_bytes(payload)
    result, _ = call_task(speech_settings, "speech.voiceover", {"format": "wav"}, [source])
    assert result["sentences"][0]["text"].startswith("Text from a")


def test_emoji_and_other_scripts_never_crash(speech_settings):
    result, _ = call_task(speech_settings, "speech.voiceover",
                          {"text": "Launch day 🚀🎉! Привет, мир. 東京へようこそ。 Ελληνικά.", "format": "wav"})
    assert result["duration_s"] > 1
    assert [s["text"] for s in result["sentences"]] == [
        "Launch day 🚀🎉!", "Привет, мир.", "東京へようこそ。", "Ελληνικά."]


@pytest.mark.parametrize("params, message", [
    ({"text": ""}, "empty"),
    ({"text": "   \n\t  "}, "empty"),
    ({"text": "🎉🎉🎉 👍🏽"}, "empty"),
    ({"text": "..."}, "nothing a voice can speak"),
    ({}, "give the text"),
    ({"text": "hi", "voice": "nobody"}, "unknown voice"),
    ({"text": "hi", "provider": "openai"}, "OPENAI_API_KEY"),
])
def test_bad_input(speech_settings, params, message):
    with pytest.raises(BadInput, match=message):
        call_task(speech_settings, "speech.voiceover", params)


def test_param_and_input_together_are_refused(speech_settings, tmp_path):
    source = tmp_path / "t.txt"
    source.write_text("words")
    with pytest.raises(BadInput, match="not both"):
        call_task(speech_settings, "speech.voiceover", {"text": "words"}, [source])


def test_a_megabyte_of_text_is_refused_at_once(speech_settings, tmp_path):
    megabyte = ("The quick brown fox jumps over the lazy dog. " * 23_000)[:1_000_000]
    with pytest.raises(LimitExceeded, match="limit of 200000"):
        call_task(speech_settings, "speech.voiceover", {"text": megabyte})
    source = tmp_path / "big.txt"
    source.write_text(megabyte)
    with pytest.raises(LimitExceeded):
        call_task(speech_settings, "speech.voiceover", {}, [source])


def test_a_tighter_text_limit_applies(speech_settings):
    settings = speech_settings.model_copy(update={"limits": Limits(max_text_chars=10)})
    with pytest.raises(LimitExceeded, match="limit of 10"):
        call_task(settings, "speech.voiceover", {"text": "This is longer than ten characters."})

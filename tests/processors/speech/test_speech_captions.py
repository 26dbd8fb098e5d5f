"""speech.captions called directly: outputs, layout rules, known script, video input, bad input."""

import json

import numpy as np
import pytest
from speech_media import SAMPLE_TEXT, make_video, parse_srt, write_wav

from mediamill.errors import BadInput
from mediamill.processors.speech.quality import word_error_rate
from mediamill.testing import call_task


def read(ctx, ref) -> bytes:
    with ctx.store.open(ref["artifact"]) as handle:
        return handle.read()


def test_captions_of_speech(speech_settings, sample_speech):
    path, spoken = sample_speech
    result, ctx = call_task(speech_settings, "speech.captions", {}, [path])
    assert result["engine"] == "whisper" and not result["script_aligned"]
    assert result["duration_s"] == pytest.approx(spoken["duration_s"], abs=0.05)
    srt = read(ctx, result["srt"]).decode()
    cues = parse_srt(srt)
    assert len(cues) == result["cue_count"] >= 3
    for start, end, lines in cues:
        assert 0 <= start < end <= result["duration_s"] + 1e-3
        assert 1 <= len(lines) <= 2 and all(len(line) <= 42 for line in lines)
    for (_, end, _), (start, _, _) in zip(cues, cues[1:], strict=False):
        assert end <= start
    vtt = read(ctx, result["vtt"]).decode()
    assert vtt.startswith("WEBVTT\n\n") and vtt.count(" --> ") == len(cues)
    words = json.loads(read(ctx, result["words"]))
    assert set(words["words"][0]) == {"word", "start", "end", "confidence"}
    assert word_error_rate(SAMPLE_TEXT, words["text"]) <= 0.25
    assert result["srt"]["mime"] == "application/x-subrip" and result["vtt"]["mime"] == "text/vtt"


def test_known_script_gives_the_exact_words(speech_settings, sample_speech, tmp_path):
    path, _ = sample_speech
    by_param, ctx = call_task(speech_settings, "speech.captions",
                              {"script": SAMPLE_TEXT, "max_chars_per_line": 24, "max_lines": 1}, [path])
    words = json.loads(read(ctx, by_param["words"]))
    assert words["text"] == SAMPLE_TEXT and by_param["script_aligned"]
    cues = parse_srt(read(ctx, by_param["srt"]).decode())
    assert " ".join(" ".join(lines) for _, _, lines in cues) == SAMPLE_TEXT
    assert all(len(lines) == 1 and len(lines[0]) <= 24 for _, _, lines in cues)
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"script": SAMPLE_TEXT}))
    by_input, ctx = call_task(speech_settings, "speech.captions", {}, [path, script])
    assert json.loads(read(ctx, by_input["words"]))["text"] == SAMPLE_TEXT


def test_video_with_sound(speech_settings, sample_speech, tmp_path):
    path, spoken = sample_speech
    video = make_video(tmp_path / "clip.mp4", path, seconds=spoken["duration_s"])
    result, ctx = call_task(speech_settings, "speech.captions", {"script": SAMPLE_TEXT}, [video])
    assert result["word_count"] == len(SAMPLE_TEXT.split())
    assert result["duration_s"] == pytest.approx(spoken["duration_s"], abs=0.2)


def test_silence_gives_valid_empty_captions(speech_settings, tmp_path):
    silence = write_wav(tmp_path / "silence.wav", np.zeros(16_000 * 3), 16_000)
    result, ctx = call_task(speech_settings, "speech.captions", {"script": "Nobody says this."}, [silence])
    assert result["cue_count"] == 0 and result["duration_s"] == pytest.approx(3.0)
    assert read(ctx, result["srt"]) == b""
    assert read(ctx, result["vtt"]) == b"WEBVTT\n\n"
    assert json.loads(read(ctx, result["words"]))["words"] == []


def test_quiet_noise_is_not_turned_into_words(speech_settings, tmp_path):
    noise = np.random.default_rng(3).normal(0, 0.0003, 16_000 * 4)
    result, _ = call_task(speech_settings, "speech.captions", {},
                          [write_wav(tmp_path / "hiss.wav", noise, 16_000)])
    assert result["cue_count"] == 0


def test_video_without_audio_is_bad_input(speech_settings, tmp_path):
    video = make_video(tmp_path / "mute.mp4", None)
    with pytest.raises(BadInput, match="no audio stream"):
        call_task(speech_settings, "speech.captions", {}, [video])


@pytest.mark.parametrize("name, payload, message", [
    ("corrupt.mp3", b"ID3\x03\x00\x00\x00" + bytes(range(256)) * 40, "not a readable|cannot be decoded|no audio"),
    ("random.bin", np.random.default_rng(5).bytes(50_000), "not a readable|cannot be decoded|no audio"),
    ("empty.wav", b"", "not a readable|no audio"),
    ("notes.txt", b"just some text, not audio", "must be audio or video"),
])
def test_non_audio_input_is_bad_input(speech_settings, tmp_path, name, payload, message):
    source = tmp_path / name
    source.write_bytes(payload)
    with pytest.raises(BadInput, match=message):
        call_task(speech_settings, "speech.captions", {}, [source])


def test_bad_layout_params_are_refused(speech_settings, sample_speech):
    path, _ = sample_speech
    with pytest.raises(BadInput, match="min_cue_s"):
        call_task(speech_settings, "speech.captions", {"min_cue_s": 5, "max_cue_s": 2}, [path])
    with pytest.raises(BadInput, match="max_lines"):
        call_task(speech_settings, "speech.captions", {"max_lines": 0}, [path])


def test_media_longer_than_the_limit_is_refused(speech_settings, tmp_path):
    from mediamill.errors import LimitExceeded
    from mediamill.security import Limits

    settings = speech_settings.model_copy(update={"limits": Limits(max_media_duration_s=2)})
    long = write_wav(tmp_path / "long.wav", np.zeros(16_000 * 3), 16_000)
    with pytest.raises(LimitExceeded, match="limit is 2 s|limit of 2 s"):
        call_task(settings, "speech.captions", {}, [long])

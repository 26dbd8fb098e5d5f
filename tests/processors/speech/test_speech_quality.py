"""The quality bar: 32 varied sentences spoken by speech.voiceover and captioned by speech.captions."""

import json

import pytest
from speech_media import ffmpeg_loudness, parse_srt

from mediamill.processors.speech.quality import QUALITY_SENTENCES, quality_text, word_error_rate
from mediamill.testing import call_task


@pytest.mark.slow
def test_quality_bar(speech_settings, tmp_path):
    text = quality_text()
    assert len(QUALITY_SENTENCES) >= 30
    spoken, ctx = call_task(speech_settings, "speech.voiceover", {"text": text, "format": "wav"})
    audio = ctx.store.copy_to(spoken["audio"]["artifact"], tmp_path / "quality.wav")
    integrated, peak = ffmpeg_loudness(audio)
    assert abs(integrated - -16.0) <= 1.0 and peak <= -1.0 + 0.05
    figures = {"duration_s": spoken["duration_s"], "lufs": integrated, "dbtp": peak}
    for mode, params, bar in (("recognised", {}, 0.15), ("known script", {"script": text}, 0.03)):
        result, ctx = call_task(speech_settings, "speech.captions", params, [audio])
        with ctx.store.open(result["words"]["artifact"]) as handle:
            words = json.load(handle)
        with ctx.store.open(result["srt"]["artifact"]) as handle:
            cues = parse_srt(handle.read().decode())
        wer = word_error_rate(text, words["text"])
        figures[f"wer {mode}"] = round(wer, 4)
        assert wer <= bar, f"WER {wer:.1%} in {mode} mode is over {bar:.0%}"
        assert all(0 <= start < end <= spoken["duration_s"] + 1e-3 for start, end, _ in cues)
        assert all(a[1] <= b[0] for a, b in zip(cues, cues[1:], strict=False)), "cues overlap"
        assert all(w["start"] <= w["end"] <= spoken["duration_s"] + 1e-3 for w in words["words"])
    print("speech quality:", figures)

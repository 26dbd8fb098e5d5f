"""Audio assets: a waveform thumbnail, or the embedded cover art when the file has one."""

from __future__ import annotations

from pathlib import Path

import pytest
from assets_media import RED

from mediamill.errors import LimitExceeded
from mediamill.processors.assets.audio_picture import WAVE
from mediamill.settings import Settings
from mediamill.testing import call_task


def _pixels(ctx, result, tmp_path: Path):
    import pyvips

    target = ctx.store.copy_to(result["thumbnail"]["artifact"], tmp_path / "thumb.png")
    return pyvips.Image.new_from_file(str(target)).numpy()


def _near(colour, expected, tolerance=40) -> bool:
    return all(abs(int(a) - int(b)) <= tolerance for a, b in zip(colour, expected, strict=False))


def test_audio_without_cover_gets_a_waveform(settings, corpus, tmp_path):
    result, ctx = call_task(settings, "asset.thumbnail", {"width": 300, "height": 100, "format": "png"},
                            [corpus["tone.m4a"]])
    assert result["source_kind"] == "audio" and (result["width"], result["height"]) == (300, 100)
    pixels = _pixels(ctx, result, tmp_path)
    # A steady tone: every column's bar spans most of the height; the corners stay background.
    assert _near(pixels[50, 150], WAVE) and _near(pixels[14, 150], WAVE) and _near(pixels[86, 20], WAVE)
    assert not _near(pixels[0, 0], WAVE) and not _near(pixels[99, 299], WAVE)


def test_audio_with_cover_art_shows_the_cover(settings, corpus, tmp_path):
    facts, _ = call_task(settings, "asset.inspect", {}, [corpus["song_with_cover.mp3"]])
    assert facts["kind"] == "audio" and facts["cover_art"] == {"width": 300, "height": 300, "codec": "mjpeg"}
    result, ctx = call_task(settings, "asset.thumbnail", {"format": "png"}, [corpus["song_with_cover.mp3"]])
    assert result["source_kind"] == "audio" and (result["width"], result["height"]) == (200, 200)
    pixels = _pixels(ctx, result, tmp_path)
    assert _near(pixels[100, 100], RED) and _near(pixels[10, 190], RED)


def test_audio_duration_limit_applies_to_the_waveform(data_dir, corpus):
    strict = Settings(data_dir=data_dir, limits={"max_media_duration_s": 1})
    with pytest.raises(LimitExceeded, match="max_media_duration_s"):
        call_task(strict, "asset.thumbnail", {}, [corpus["tone.m4a"]])

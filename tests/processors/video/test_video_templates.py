"""The shipped templates as whole jobs: video.tweet_reel and video.promo, probed like a viewer would see them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import video_media as vm

from mediamill.processors.html import browser
from mediamill.processors.video.promo import VOICE_START_S
from mediamill.testing import call_task

pytestmark = pytest.mark.skipif(not Path(browser.chromium_executable()).exists(),
                                reason="Chromium is not installed (scripts/setup.sh installs it)")
TWEET = {"text": "Shipping a video pipeline in Python today 🚀 HTML templates, ffmpeg filter graphs, no network.",
         "name": "Ada Lovelace", "username": "ada", "verified": True}
YELLOW = np.array([255, 214, 10])


def _video(ctx, result) -> Path:
    return ctx.path(result["video"]["artifact"])


@pytest.mark.slow
def test_tweet_reel_light_and_dark(settings, tmp_path):
    dark, dark_ctx = call_task(settings, "video.tweet_reel", {**TWEET, "theme": "dark"}, job_id="job_dark")
    light, light_ctx = call_task(settings, "video.tweet_reel", {**TWEET, "theme": "light", "duration": 2},
                                 job_id="job_light")
    # The seed's result schema
    assert {"filename", "expiresAt", "fileSize", "duration", "resolution"} <= set(dark)
    assert dark["duration"] == 5 and dark["resolution"] == "1080x1920" and dark["filename"].endswith(".mp4")
    assert dark["fileSize"] == dark["video"]["size"] and dark["expiresAt"] == dark["video"]["expiresAt"]
    info = vm.probe(_video(dark_ctx, dark))
    assert (info["width"], info["height"], info["fps"], info["frames"]) == (1080, 1920, 30.0, 150)
    assert abs(info["audio_duration"] - 5) <= 1 / 30 and info["audio_codec"] == "aac"
    assert abs(vm.loudness_lufs(_video(dark_ctx, dark)) - (-16)) < 2
    first_dark, mid_dark, last_dark = vm.frames_at(_video(dark_ctx, dark), [0.0, 2.5, 4.96])
    first_light, mid_light = vm.frames_at(_video(light_ctx, light), [0.0, 1.0])
    # First frame is the card, not black; the end fades to black
    assert first_dark.mean() > 8 and first_light.mean() > 150
    assert last_dark.mean() < first_dark.mean() / 2
    # Themes differ as designed: black page and light text vs light page and dark text
    assert mid_dark[40, 40].max() < 20 and mid_light[40, 40].min() > 215
    card_dark, card_light = mid_dark[700:1300, 100:980], mid_light[700:1300, 100:980]
    assert card_dark.max() > 215 and card_light.min() < 40


@pytest.mark.slow
def test_tweet_reel_with_profile_photo_input(settings, tmp_path):
    avatar = vm.photo(tmp_path / "me.jpg", size=(200, 200), hue=90)
    result, ctx = call_task(settings, "video.tweet_reel", {**TWEET, "duration": 1, "music": None}, [avatar])
    assert result["duration"] == 1
    samples, _ = vm.audio_samples(_video(ctx, result))
    assert np.abs(samples).max() < 1e-3  # no music asked: silent, but an audio track is there


@pytest.mark.slow
def test_promo_with_voice_and_word_captions(settings, tmp_path):
    # Given product photos, a voice-over and its word timings
    words = vm.word_timings()
    voice = vm.voice_wav(tmp_path / "voice.wav", words)
    inputs = [vm.photo(tmp_path / "a.jpg"), vm.photo(tmp_path / "b.jpg", hue=120), voice,
              vm.words_json(tmp_path / "words.json", words)]
    params = {"headline": "Meet the Trail Mug", "copy": "Hot coffee for 12 hours.", "brand": "Northwind",
              "cta": "Order yours"}
    # When the promo is made
    result, ctx = call_task(settings, "video.promo", params, inputs)
    video = _video(ctx, result)
    # Then it lasts the voice + 2 s (15 s at least), within a frame, with audio along
    info = vm.probe(video)
    assert result["duration"] == 15 and abs(info["video_duration"] - 15) <= 1 / 30
    assert abs(info["audio_duration"] - 15) <= 1 / 30 and info["frames"] == 450
    assert abs(vm.loudness_lufs(video) - (-16)) < 2
    # The voice starts where the captions say (the music bed is ducked under it)
    samples, rate = vm.audio_samples(video)
    assert vm.rms(samples, rate, 0, 0.5) > 0.001  # music from the start
    # Captions: while word 5 is spoken, its highlight is in the caption band; between pages, nothing
    spoken = words[5]
    at = VOICE_START_S + (spoken["start"] + spoken["end"]) / 2
    frame = vm.frames_at(video, [at])[0]
    band = frame[int(1920 * 0.55):int(1920 * 0.86)]
    assert (np.abs(band.astype(int) - YELLOW).max(axis=2) < 60).sum() > 500
    assert vm.frames_at(video, [0.0])[0].mean() > 8  # the title card, not black


@pytest.mark.slow
async def test_tweet_reel_through_a_worker(client, worker):
    # Given a real worker on the video queue (processors in its child process pool)
    async with worker(["video"]):
        # When a client submits a tweet reel
        handle = await client.submit("video.tweet_reel", {**TWEET, "theme": "light", "duration": 2})
        result = await handle.result(timeout=240)
        status = await handle.status()
    # Then the result has the seed's fields and progress went to 100 through the encode step
    assert result["resolution"] == "1080x1920" and result["duration"] == 2
    assert result["video"]["mime"] == "video/mp4" and result["fileSize"] > 10_000
    assert status.progress == 100

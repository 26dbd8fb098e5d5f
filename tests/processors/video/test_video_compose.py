"""video.compose: timelines rendered by the real ffmpeg, outputs probed with PyAV (sizes kept small for speed)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import video_media as vm

from mediamill.errors import BadInput, Cancelled
from mediamill.processors.video.timeline import timeline_json_schema
from mediamill.testing import call_task, make_context

SMALL = {"width": 270, "height": 480}
YELLOW = np.array([255, 214, 10])  # the default highlight colour


def compose(settings, timeline: dict, inputs=(), **kw):
    result, ctx = call_task(settings, "video.compose", {"timeline": timeline}, list(inputs), **kw)
    return result, ctx.path(result["video"]["artifact"]), ctx


def near(pixel, color, tolerance=40) -> bool:
    return bool(np.abs(np.asarray(pixel, dtype=int) - np.asarray(color)).max() <= tolerance)


# -- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("timeline", "message"), [
    ({"clips": [{"type": "color", "duration": 1}, {"type": "color", "duration": 1},
                {"type": "color", "duration": -2}]}, r"timeline.clips\[2\].duration: must be > 0"),
    ({"clips": [{"type": "sparkles", "duration": 1}]}, r"timeline.clips\[0\]: unknown clip type 'sparkles'"),
    ({"clips": [{"type": "image", "asset": 3, "duration": 1}]}, r"timeline.clips\[0\].asset: input #3 does not exist"),
    ({"clips": [{"type": "image", "asset": "art_0123456789abcdef01234567", "duration": 1}]},
     r"timeline.clips\[0\].asset: 'art_0123456789abcdef01234567' is not an input"),
    ({"clips": [{"type": "color", "duration": 1}], "audio": [{"asset": 0}]}, r"timeline.audio\[0\].asset: input #0"),
    ({"clips": [{"type": "color", "duration": 1}, {"type": "color", "duration": 1,
                                                   "transition": {"duration": 1.5}}]},
     r"clips\[1\].transition.duration: must be shorter"),
    ({"clips": []}, r"timeline.clips: "),
])
def test_bad_timelines_name_the_field(settings, timeline, message):
    with pytest.raises(BadInput, match=message):
        compose(settings, timeline)


def test_corrupt_image_and_frameless_video_fail_cleanly(settings, tmp_path):
    corrupt = tmp_path / "broken.jpg"
    corrupt.write_bytes(vm.photo(tmp_path / "ok.jpg").read_bytes()[:300])
    with pytest.raises(BadInput, match=r"clips\[0\].asset: not a readable image"):
        compose(settings, {**SMALL, "clips": [{"type": "image", "asset": 0, "duration": 1}]}, [corrupt])
    audio_only = vm.voice_wav(tmp_path / "voice.wav", vm.word_timings("hello there"))
    with pytest.raises(BadInput, match=r"clips\[0\].asset: has no video stream"):
        compose(settings, {**SMALL, "clips": [{"type": "video", "asset": 0, "duration": 1}]}, [audio_only])
    empty = tmp_path / "empty.mp4"
    _video_without_frames(empty)
    with pytest.raises(BadInput, match=r"clips\[0\].asset: .*(no decodable frames|not a readable video|no video stream)"):
        compose(settings, {**SMALL, "clips": [{"type": "video", "asset": 0, "duration": 1}]}, [empty])


def _video_without_frames(path):
    import subprocess

    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=s=64x64",
                    "-frames:v", "0", "-c:v", "libx264", str(path)], check=True)


def test_bad_captions_file_names_the_field(settings, tmp_path):
    junk = tmp_path / "words.json"
    junk.write_text('{"words": [{"start": 1}]}')
    with pytest.raises(BadInput, match=r"timeline.captions.asset\[0\]: needs 'word'"):
        compose(settings, {**SMALL, "clips": [{"type": "color", "duration": 1}], "captions": {"asset": 0}}, [junk])


# -- pictures ------------------------------------------------------------------------------------
def test_clips_transitions_and_overlay(settings, tmp_path):
    # Given red -> (crossfade 1 s) -> blue -> (slide left 1 s) -> gradient, and a text overlay throughout
    timeline = {**SMALL, "clips": [
        {"type": "color", "color": "#FF0000", "duration": 2},
        {"type": "color", "color": "#0000FF", "duration": 2, "transition": {"type": "crossfade", "duration": 1}},
        {"type": "gradient", "colors": ["#00FF00", "#00FF00"], "duration": 2,
         "transition": {"type": "slide_left", "duration": 1}},
    ], "overlays": [{"type": "text", "text": "HELLO", "y": "top", "margin": 10,
                     "style": {"font_size": 40, "color": "#FFFF00"}}]}
    result, video, _ = compose(settings, timeline)
    info = vm.probe(video)
    # Then 2 + 2 + 2 - 1 - 1 = 4 s at 30 fps, 270x480, H.264 yuv420p, AAC (silent) audio
    assert (info["width"], info["height"], info["fps"], info["frames"]) == (270, 480, 30.0, 120)
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p" and info["audio_codec"] == "aac"
    assert abs(info["video_duration"] - 4.0) <= 1 / 30 and abs(info["audio_duration"] - 4.0) <= 1 / 30
    assert result["duration"] == 4.0 and result["resolution"] == "270x480"
    red, mid_fade, blue, mid_slide, green = vm.frames_at(video, [0.5, 1.5, 2.2, 2.5, 3.8])
    assert near(red[300, 135], (255, 0, 0)) and near(blue[300, 135], (0, 0, 255))
    assert near(mid_fade[300, 135], (128, 0, 128), 50)  # half red, half blue
    assert near(mid_slide[300, 20], (0, 0, 255)) and near(mid_slide[300, 250], (0, 255, 0))  # blue leaving left
    assert near(green[300, 135], (0, 255, 0))
    top = red[5:70]
    assert (np.abs(top.astype(int) - [255, 255, 0]).max(axis=2) < 60).sum() > 100  # the overlay's yellow text


def test_ken_burns_moves_and_still_does_not(settings, tmp_path):
    picture = vm.photo(tmp_path / "photo.jpg")
    timeline = {**SMALL, "clips": [
        {"type": "image", "asset": 0, "duration": 2},
        {"type": "image", "asset": 0, "duration": 2, "ken_burns": {"zoom_start": 1.0, "zoom_end": 1.5}},
    ]}
    _, video, _ = compose(settings, timeline, [picture])
    still_a, still_b, move_a, move_b = (f.astype(int) for f in vm.frames_at(video, [0.2, 1.8, 2.2, 3.8]))
    assert np.abs(still_a - still_b).mean() < 2
    assert np.abs(move_a - move_b).mean() > 10
    assert still_a.mean() > 30  # first frames are not black


@pytest.mark.parametrize(("preset", "size"), [("square", (1080, 1080)), ("landscape", (1920, 1080))])
def test_presets(settings, preset, size):
    _, video, _ = compose(settings, {"preset": preset, "clips": [{"type": "text", "text": "Hi", "duration": 0.5}]})
    info = vm.probe(video)
    assert (info["width"], info["height"]) == size and info["frames"] == 15


def test_video_clip_is_trimmed_fitted_and_held(settings, tmp_path):
    source = tmp_path / "source.mp4"
    _, made, _ = compose(settings, {"width": 320, "height": 180, "clips": [
        {"type": "color", "color": "#00FF00", "duration": 1}, {"type": "color", "color": "#FF00FF", "duration": 1}]})
    source.write_bytes(made.read_bytes())
    # A 16:9 source, from 1.0 s, 'contain'ed in a 9:16 frame, held past its end (1 s of source for 1.5 s)
    _, video, _ = compose(settings, {**SMALL, "clips": [{"type": "video", "asset": 0, "duration": 1.5, "trim_start": 1.0,
                                                         "fit": "contain", "background": "#000000"}]}, [source])
    info = vm.probe(video)
    assert info["frames"] == 45
    frame = vm.frames_at(video, [1.4])[0]
    assert near(frame[240, 135], (255, 0, 255)) and near(frame[20, 135], (0, 0, 0))
    with pytest.raises(BadInput, match=r"clips\[0\].trim_start: 5.0 s is past the end"):
        compose(settings, {**SMALL, "clips": [{"type": "video", "asset": 0, "duration": 1, "trim_start": 5}]},
                [source], job_id="job_past_end")


# -- captions ------------------------------------------------------------------------------------
def test_word_captions_highlight_the_spoken_word(settings, tmp_path):
    words = [{"word": "Hello", "start": 0.5, "end": 1.0}, {"word": "bright", "start": 1.1, "end": 1.6},
             {"word": "world", "start": 1.7, "end": 2.3}]
    timeline = {**SMALL, "clips": [{"type": "color", "color": "#202040", "duration": 3.5}],
                "captions": {"asset": 0, "style": {"font_size": 30, "position": "bottom", "margin": 0.1}}}
    result, video, _ = compose(settings, timeline, [vm.words_json(tmp_path / "w.json", words)])
    assert result["captionStates"] == 3
    before, first, third, after = vm.frames_at(video, [0.2, 0.7, 2.0, 3.2])
    band = slice(int(480 * 0.6), int(480 * 0.92))

    def yellow(frame) -> int:
        return int((np.abs(frame[band].astype(int) - YELLOW).max(axis=2) < 60).sum())

    def white(frame) -> int:
        return int((frame[band].min(axis=2) > 200).sum())

    assert yellow(before) == 0 and white(before) == 0  # nothing before the first word
    assert yellow(first) > 30 and white(first) > 60  # "Hello" highlighted, the others white
    assert yellow(third) > 30
    assert yellow(after) == 0 and white(after) == 0  # gone after the page ends
    # The highlight moved: the yellow pixels of word 1 and word 3 are in different places
    first_cols = np.where((np.abs(first[band].astype(int) - YELLOW).max(axis=2) < 60).any(axis=0))[0]
    third_cols = np.where((np.abs(third[band].astype(int) - YELLOW).max(axis=2) < 60).any(axis=0))[0]
    assert first_cols.mean() < third_cols.mean()


def test_srt_captions_without_highlight(settings, tmp_path):
    subtitles = vm.srt(tmp_path / "c.srt", [(0.2, 1.0, "First line"), (1.2, 1.8, "Second <i>line</i>")])
    timeline = {**SMALL, "clips": [{"type": "color", "color": "#000000", "duration": 2}],
                "captions": {"asset": 0, "highlight": False, "style": {"font_size": 30}}}
    result, video, _ = compose(settings, timeline, [subtitles])
    assert result["captionStates"] == 2
    shown, gap = vm.frames_at(video, [0.5, 1.1])
    assert (shown.min(axis=2) > 200).sum() > 50 and (gap.min(axis=2) > 200).sum() == 0


# -- audio ---------------------------------------------------------------------------------------
def test_voice_is_in_sync_and_music_ducks_under_it(settings, tmp_path):
    words = [{"word": "one", "start": 0.0, "end": 0.8}, {"word": "two", "start": 2.0, "end": 2.8}]
    voice = vm.voice_wav(tmp_path / "voice.wav", words, tail=0.1)
    base = {**SMALL, "loudness_lufs": None,
            "clips": [{"type": "color", "duration": 4}]}
    # Voice alone, placed at 1.0 s: its first sound lands within a frame of 1.0 s
    _, alone, _ = compose(settings, {**base, "audio": [{"asset": 0, "role": "voice", "start": 1.0}]}, [voice])
    samples, rate = vm.audio_samples(alone)
    onset = np.argmax(np.abs(samples) > 0.02) / rate
    assert abs(onset - 1.0) < 1 / 30
    assert vm.rms(samples, rate, 0.0, 0.9) < 1e-3 and vm.rms(samples, rate, 1.1, 1.7) > 0.05
    # Music + voice, ducked vs not: while the voice speaks the ducked mix is quieter; in silence they match
    tracks = [{"asset": 0, "role": "voice", "start": 1.0}, {"asset": "example:music", "role": "music"}]
    _, ducked, _ = compose(settings, {**base, "audio": tracks}, [voice], job_id="job_ducked")
    _, plain, _ = compose(settings, {**base, "audio": tracks, "ducking": {"enabled": False}}, [voice],
                          job_id="job_plain")
    d, _ = vm.audio_samples(ducked)
    p, _ = vm.audio_samples(plain)
    voice_only = vm.rms(samples, rate, 1.2, 1.7)
    music_under_voice_ducked = vm.rms(d, rate, 1.2, 1.7) - voice_only
    music_under_voice_plain = vm.rms(p, rate, 1.2, 1.7) - voice_only
    assert music_under_voice_ducked < music_under_voice_plain - 0.01
    assert abs(vm.rms(d, rate, 0.2, 0.9) - vm.rms(p, rate, 0.2, 0.9)) < 0.01  # before the voice: no ducking


def test_loudness_is_normalised_to_target(settings):
    timeline = {**SMALL, "clips": [{"type": "color", "duration": 6}], "loudness_lufs": -16,
                "audio": [{"asset": "example:music", "role": "music", "volume": 0.2}]}
    _, video, _ = compose(settings, timeline)
    assert abs(vm.loudness_lufs(video) - (-16)) < 1.5


# -- progress, cancel, schema ---------------------------------------------------------------------
def test_progress_is_reported_by_frame(settings):
    _, _, ctx = compose(settings, {**SMALL, "clips": [{"type": "color", "duration": 3}]})
    steps = [step for kind, _, step in ctx._reporter.events if kind == "progress"]
    encode = [s for s in steps if s and s.startswith("encode ")]
    assert encode[-1] == "encode 90/90"
    percents = [p for kind, p, _ in ctx._reporter.events if kind == "progress"]
    assert percents == sorted(percents) and percents[-1] == 100


def test_cancel_kills_ffmpeg(settings):
    import psutil

    from mediamill.processors.video.compose import ComposeState
    from mediamill.processors.video.compose import compose as run_compose

    ctx = make_context(settings, "video.compose")
    timer = threading.Timer(1.5, ctx._cancel.set)
    timer.start()
    with pytest.raises(Cancelled):
        run_compose(ctx, ComposeState(raw={"clips": [{"type": "color", "duration": 600}]}, name=None))
    timer.cancel()
    assert not [p for p in psutil.Process().children(recursive=True) if "ffmpeg" in p.name()]


def test_docs_carry_the_current_schema():
    import json
    from pathlib import Path

    stored = (Path(__file__).resolve().parents[3] / "docs" / "timeline.schema.json").read_text()
    assert json.loads(stored) == timeline_json_schema(), "regenerate it: see docs/reference/tasks/video.md"


def test_timeline_schema_is_exported():
    schema = timeline_json_schema()
    assert {"clips", "captions", "audio", "overlays", "preset"} <= set(schema["properties"])
    assert {"ImageClip", "HtmlClip", "VideoClip", "TextClip", "GradientClip", "ColorClip"} <= set(schema["$defs"])

"""Test media made on the spot: a voice-like WAV with word timings, photos, and probes of the outputs."""

from __future__ import annotations

import json
import math
import re
import subprocess
import wave
from pathlib import Path

import numpy as np

RATE = 48_000
SCRIPT = ("Meet the Trail Mug. It keeps your coffee hot for twelve hours on every trail you take. "
          "Light, tough and leak proof. Order yours today!")


def word_timings(text: str = SCRIPT, start: float = 0.2, per_word: float = 0.42) -> list[dict]:
    words, t = [], start
    for token in text.split():
        words.append({"word": token, "start": round(t, 3), "end": round(t + per_word * 0.75, 3)})
        t += per_word + (0.35 if token.endswith((".", "!")) else 0)
    return words


def voice_wav(path: Path, words: list[dict], tail: float = 0.3) -> Path:
    """A buzzy harmonic 'voice' that sounds exactly while each word is spoken (silence between)."""
    length = words[-1]["end"] + tail
    t = np.arange(int(length * RATE)) / RATE
    signal = np.zeros_like(t)
    for index, word in enumerate(words):
        span = (t >= word["start"]) & (t < word["end"])
        local = t[span] - word["start"]
        pitch = 140 + 30 * math.sin(index)
        tone = sum(np.sin(2 * math.pi * pitch * k * local) / k for k in range(1, 8))
        envelope = np.minimum(1, local / 0.03) * np.minimum(1, (word["end"] - word["start"] - local) / 0.03)
        signal[span] = 0.25 * tone * envelope
    pcm = (np.clip(signal, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    return path


def words_json(path: Path, words: list[dict]) -> Path:
    path.write_text(json.dumps({"words": words}))
    return path


def srt(path: Path, cues: list[tuple[float, float, str]]) -> Path:
    def stamp(seconds: float) -> str:
        ms = round(seconds * 1000)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    blocks = [f"{i + 1}\n{stamp(a)} --> {stamp(b)}\n{text}\n" for i, (a, b, text) in enumerate(cues)]
    path.write_text("\n".join(blocks))
    return path


def photo(path: Path, size: tuple[int, int] = (1200, 1500), hue: int = 0) -> Path:
    """A colourful, detailed picture (so motion and fades are visible and measurable)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, ((60 + hue) % 256, 120, 200))
    draw = ImageDraw.Draw(image)
    for index in range(0, size[0], 80):
        draw.rectangle([index, 0, index + 40, size[1]], fill=((200 + hue + index) % 256, 90, 60))
    draw.ellipse([size[0] * 0.25, size[1] * 0.3, size[0] * 0.75, size[1] * 0.7], fill=(250, 240, 90))
    image.save(path, quality=90)
    return path


# -- probes -----------------------------------------------------------------------------------
def probe(path: Path) -> dict:
    import av

    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        return {
            "width": video.codec_context.width, "height": video.codec_context.height,
            "fps": float(video.average_rate), "frames": video.frames, "codec": video.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt, "video_duration": float(video.duration * video.time_base),
            "audio_codec": audio.codec_context.name, "audio_rate": audio.rate,
            "audio_duration": float(audio.duration * audio.time_base),
        }


def frames_at(path: Path, seconds: list[float]):
    """RGB numpy frames at (or just after) each time."""
    import av

    wanted, found = sorted(seconds), {}
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            while wanted and frame.time >= wanted[0] - 1e-6:
                found[wanted.pop(0)] = frame.to_ndarray(format="rgb24")
            if not wanted:
                break
    return [found[s] for s in seconds]


def audio_samples(path: Path) -> tuple[np.ndarray, int]:
    """Mono float samples of the audio track."""
    import av

    chunks = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=stream.rate)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        return np.concatenate(chunks), stream.rate


def loudness_lufs(path: Path) -> float:
    """Integrated loudness (EBU R128) measured by ffmpeg's ebur128 filter."""
    import imageio_ffmpeg

    result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path),
                             "-af", "ebur128", "-f", "null", "-"], capture_output=True, text=True, check=True)
    summary = result.stderr[result.stderr.rfind("Summary:"):]
    return float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))


def rms(samples: np.ndarray, rate: int, start: float, end: float) -> float:
    window = samples[int(start * rate):int(end * rate)]
    return float(np.sqrt(np.mean(window ** 2))) if len(window) else 0.0

"""Speech test media helpers (imported by the tests; fixtures live in conftest.py)."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import numpy as np

SAMPLE_TEXT = ("Hello and welcome. Dr. Smith paid $4.99 for 3 books on Monday! "
               "Is that a good price? The meeting with Anna Kowalski starts at noon.")


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.clip(samples * 32767, -32768, 32767).astype("<i2").tobytes())
    return path


def make_video(path: Path, audio: Path | None, seconds: float = 2.0) -> Path:
    """An H.264 MP4 (64x64, moving gradient), with the audio file's sound as AAC when given."""
    import subprocess

    import av

    from mediamill.processors.video.encoder import ffmpeg_exe

    silent = path.with_name(f"{path.stem}-silent{path.suffix}") if audio else path
    with av.open(str(silent), "w") as out:
        video = out.add_stream("libx264", rate=25)
        video.width = video.height = 64
        video.pix_fmt = "yuv420p"
        for index in range(int(seconds * 25)):
            pixels = np.full((64, 64, 3), (index * 5) % 255, dtype=np.uint8)
            out.mux(video.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        out.mux(video.encode(None))
    if audio is not None:
        # FFmpeg's own muxer interleaves the sound: muxing AAC after all the video with PyAV failed
        # now and then with EINVAL at the encoder flush.
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(silent), "-i", str(audio), "-map", "0:v",
                        "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-ar", "16000", "-ac", "1", str(path)],
                       check=True, timeout=120)
        silent.unlink()
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as wav:
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768
        return data, wav.getframerate()


def ffmpeg_loudness(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) measured by FFmpeg's ebur128 filter: an
    independent check of our own meter."""
    import re
    import subprocess

    import imageio_ffmpeg

    run = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path),
                          "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True, check=True)
    summary = run.stderr[run.stderr.rindex("Summary:"):]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return integrated, peak


SRT_CUE = re.compile(r"(\d+)\n(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})\n((?:.+\n?)+)")


def parse_srt(text: str) -> list[tuple[float, float, list[str]]]:
    cues = []
    for block in filter(None, text.split("\n\n")):
        match = SRT_CUE.fullmatch(block.strip() + "\n")
        assert match, f"not an SRT cue: {block!r}"
        g = [int(x) if x.isdigit() else x for x in match.groups()[:9]]
        start = g[1] * 3600 + g[2] * 60 + g[3] + g[4] / 1000
        end = g[5] * 3600 + g[6] * 60 + g[7] + g[8] / 1000
        cues.append((start, end, match.group(10).strip().split("\n")))
    return cues

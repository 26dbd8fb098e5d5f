"""A picture of an audio file: its embedded cover art when it has one, else a drawn waveform.

The waveform streams: samples are decoded at a low rate and folded into 10 ms peak blocks as they
come, so an hour of audio costs a few hundred KB of peaks, never the decoded signal.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mediamill.errors import BadInput
from mediamill.processors.assets._vips import vips
from mediamill.processors.assets.limits import check_image_header, check_media
from mediamill.security import Limits

PEAK_RATE = 8_000  # Hz: plenty for the outline of a waveform
BLOCK = PEAK_RATE // 100  # 10 ms per peak
BACKGROUND = (247, 247, 249)
WAVE = (59, 91, 219)
AXIS = (200, 204, 214)


def is_cover_art(stream) -> bool:
    import av

    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def has_real_video(path: Path) -> bool:
    """False for an audio file in a video container (an .m4a, an MP3 with cover art)."""
    import av

    with av.open(str(path)) as container:
        return any(not is_cover_art(stream) for stream in container.streams.video)


def audio_picture(path: Path, limits: Limits, width: int, height: int):
    """(pyvips image, "cover_art" | "waveform")."""
    cover = cover_art(path, limits)
    if cover is not None:
        return cover, "cover_art"
    return vips().Image.new_from_array(waveform(path, limits, width, height), interpretation="srgb"), "waveform"


def cover_art(path: Path, limits: Limits):
    """The embedded picture (ID3 APIC, MP4 covr, FLAC/Vorbis picture) as a pyvips image, or None."""
    import av

    with av.open(str(path)) as container:
        streams = [stream for stream in container.streams.video if is_cover_art(stream)]
        if not streams:
            return None
        packet = next((p for p in container.demux(streams[0]) if p.size), None)
        if packet is None:
            return None
        data = bytes(packet)
    image = vips().Image.new_from_buffer(data, "")
    check_image_header(image.width, image.height, limits, what="cover art", use="thumbnail")
    return image


def waveform(path: Path, limits: Limits, width: int, height: int) -> np.ndarray:
    """An RGB array (height x width) of the first audio stream's peaks."""
    peaks = _peaks(path, limits)
    if peaks.size == 0:
        raise BadInput("the audio stream holds no samples to draw", field="inputs")
    # Each column takes the loudest peak of its span; a short file (fewer peaks than columns) repeats them.
    starts = np.floor(np.linspace(0, peaks.size, width, endpoint=False)).astype(int)
    columns = np.maximum.reduceat(peaks, np.minimum(starts, peaks.size - 1))
    # Scaled to the 98th percentile, not the maximum: one click (an encoder's priming transient)
    # would otherwise flatten the whole picture.
    loud = float(np.percentile(columns, 98))
    columns = np.minimum(columns / loud, 1.0) if loud > 0 else columns
    middle = (height - 1) / 2
    reach = np.maximum(columns * middle * 0.92, 0.5)  # silence still draws a hairline
    rows = np.abs(np.arange(height)[:, None] - middle)
    picture = np.empty((height, width, 3), dtype=np.uint8)
    picture[:] = BACKGROUND
    picture[np.abs(np.arange(height) - middle) < 0.5] = AXIS
    picture[rows <= reach[None, :]] = WAVE
    return picture


def _peaks(path: Path, limits: Limits) -> np.ndarray:
    import av

    with av.open(str(path), metadata_errors="ignore") as container:
        if not container.streams.audio:
            raise BadInput("the input has no audio stream to draw", field="inputs")
        stream = container.streams.audio[0]
        check_media(container.duration / av.time_base if container.duration else None, None, limits, "audio")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=PEAK_RATE)
        peaks: list[np.ndarray] = []
        carry = np.zeros(0, dtype=np.float32)
        limit = int(limits.max_media_duration_s * PEAK_RATE)
        decoded = 0

        def fold(samples: np.ndarray) -> np.ndarray:
            whole = samples.size - samples.size % BLOCK
            if whole:
                peaks.append(np.abs(samples[:whole]).reshape(-1, BLOCK).max(axis=1))
            return samples[whole:]

        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                samples = out.to_ndarray().reshape(-1)
                decoded += samples.size
                carry = fold(np.concatenate([carry, samples]))
            if decoded > limit:
                check_media(decoded / PEAK_RATE, None, limits, "audio")
        for out in resampler.resample(None):
            carry = fold(np.concatenate([carry, out.to_ndarray().reshape(-1)]))
    if carry.size:
        peaks.append(np.abs(carry).max(keepdims=True))
    return np.concatenate(peaks) if peaks else np.zeros(0, dtype=np.float32)

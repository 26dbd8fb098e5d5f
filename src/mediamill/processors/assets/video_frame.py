"""A representative still of a video: the first sampled frame that is neither black nor blank."""

from __future__ import annotations

from pathlib import Path

from mediamill.errors import BadInput
from mediamill.processors.assets.limits import check_image_header, check_media
from mediamill.security import Limits

# Where to look, as fractions of the duration; the opening frame is often a fade from black.
SAMPLE_POINTS = (0.1, 0.25, 0.5, 0.75, 0.0)
# A frame whose luma varies less than this (0-255 scale) is blank; its mean tells black from white.
MIN_LUMA_STDDEV = 10.0


def representative_frame(path: Path, limits: Limits):
    """RGB numpy array of the best sampled frame (rotation applied)."""
    import av
    import numpy as np

    with av.open(str(path)) as container:
        if not container.streams.video:
            raise BadInput("the input has no video stream to take a frame from", field="inputs")
        stream = container.streams.video[0]
        check_image_header(stream.codec_context.width, stream.codec_context.height, limits, what="video frame")
        stream.thread_type = "AUTO"
        duration = _duration_s(container, stream)
        check_media(duration, None, limits, "video")
        best, best_score = None, -1.0
        for fraction in SAMPLE_POINTS:
            frame = _frame_at(container, stream, fraction * duration if duration else 0.0)
            if frame is None:
                continue
            rgb = frame.to_ndarray(format="rgb24")
            luma = rgb[::4, ::4].mean(axis=2)
            score = float(luma.std())
            if score > best_score:
                best, best_score = (rgb, getattr(frame, "rotation", 0) or 0), score
            if score >= MIN_LUMA_STDDEV:
                break
    if best is None:
        raise BadInput("the video has no decodable frame", field="inputs")
    rgb, rotation = best
    return np.ascontiguousarray(np.rot90(rgb, k=int(rotation) // 90 % 4)) if rotation else rgb


def _duration_s(container, stream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return 0.0


def _frame_at(container, stream, seconds: float):
    target = int(seconds / stream.time_base) if stream.time_base else 0
    if seconds > 0:
        container.seek(target + (stream.start_time or 0), stream=stream, backward=True, any_frame=False)
    else:
        container.seek(stream.start_time or 0, stream=stream, backward=True, any_frame=False)
    for frame in container.decode(stream):
        if frame.pts is None or frame.pts >= target + (stream.start_time or 0) or seconds == 0:
            return frame
    return None

"""Security limits checked from headers only, before any pixel or sample is decoded."""

from __future__ import annotations

from typing import Literal

from mediamill.errors import BadInput, LimitExceeded
from mediamill.security import Limits

# What a declared size is checked for. Inspecting decodes at most a 64 px shrink-on-load copy, and
# a thumbnail crops or letterboxes an extreme strip, so neither needs the shape limits; only outputs
# made at full size (generated images, video frames) do.
Use = Literal["inspect", "thumbnail", "output"]


def check_image_header(width: int, height: int, limits: Limits, *, frames: int = 1, what: str = "image",
                       use: Use = "output") -> None:
    """Refuse decompression bombs (and, for full-size outputs, absurd shapes) from the declared size alone."""
    if width <= 0 or height <= 0:
        raise BadInput(f"the {what} declares an empty size ({width}x{height})", field="inputs")
    if width * height > limits.max_pixels:
        raise LimitExceeded(f"the {what} is {width}x{height} = {width * height:,} pixels, over max_pixels "
                            f"({limits.max_pixels:,}); refused before decoding", field="inputs")
    if frames > limits.max_frames:
        raise LimitExceeded(f"the {what} has {frames} frames, over max_frames ({limits.max_frames})",
                            field="inputs")
    if use == "inspect":
        return
    if max(width, height) > limits.max_dimension:
        raise LimitExceeded(f"the {what} is {width}x{height}: a side exceeds max_dimension "
                            f"({limits.max_dimension} px)", field="inputs")
    ratio = max(width, height) / min(width, height)
    if use == "output" and ratio > limits.max_aspect_ratio:
        raise LimitExceeded(f"the {what} is {width}x{height}: aspect ratio {ratio:.0f}:1 exceeds "
                            f"max_aspect_ratio ({limits.max_aspect_ratio:g})", field="inputs")


def check_media(duration_s: float | None, frames: int | None, limits: Limits, what: str = "media") -> None:
    """Audio and video: duration, and for a video the frames it would take to process."""
    if duration_s is not None and duration_s > limits.max_media_duration_s:
        raise LimitExceeded(f"the {what} lasts {duration_s:.0f} s, over max_media_duration_s "
                            f"({limits.max_media_duration_s:g} s)", field="inputs")
    if frames is not None and frames > limits.max_video_frames:
        raise LimitExceeded(f"the {what} has about {frames} frames, over max_video_frames "
                            f"({limits.max_video_frames})", field="inputs")

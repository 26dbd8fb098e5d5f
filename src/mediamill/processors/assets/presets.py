"""Variant presets: the asset seed's four image sizes, two H.264 video sizes, and user presets."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mediamill.processors.assets.encode import ImageFormat


class ImagePreset(BaseModel):
    """A box the picture fits inside (never enlarged), and how to encode it."""

    model_config = ConfigDict(extra="forbid")
    width: int = Field(ge=1, le=16_384)
    height: int = Field(ge=1, le=16_384)
    quality: int = Field(85, ge=1, le=100)
    format: ImageFormat = "jpeg"


class VideoPreset(BaseModel):
    """An H.264/AAC MP4 at most `height` pixels high (never enlarged)."""

    model_config = ConfigDict(extra="forbid")
    height: int = Field(ge=16, le=4320)
    crf: int = Field(23, ge=0, le=51, description="x264 constant rate factor: lower is better and larger")
    audio_bitrate: int = Field(128_000, ge=16_000, le=512_000)
    kind: Literal["video"] = "video"


IMAGE_PRESETS: dict[str, ImagePreset] = {
    "THUMBNAIL": ImagePreset(width=200, height=200, quality=80),
    "PREVIEW": ImagePreset(width=800, height=600, quality=85),
    "WEB_OPTIMIZED": ImagePreset(width=1920, height=1080, quality=85),
    "MOBILE": ImagePreset(width=640, height=480, quality=80),
}
VIDEO_PRESETS: dict[str, VideoPreset] = {
    "720p": VideoPreset(height=720),
    "480p": VideoPreset(height=480),
}
DEFAULT_IMAGE_VARIANTS = tuple(IMAGE_PRESETS)
DEFAULT_VIDEO_VARIANTS = tuple(VIDEO_PRESETS)

"""Saving a pyvips image as JPEG, PNG, WebP or AVIF bytes (8-bit sRGB, metadata stripped)."""

from __future__ import annotations

from typing import Literal

from mediamill.processors.assets._vips import vips

ImageFormat = Literal["jpeg", "png", "webp", "avif"]
MIME = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "avif": "image/avif"}
EXTENSION = {"jpeg": ".jpg", "png": ".png", "webp": ".webp", "avif": ".avif"}
# AVIF encoding is slow at libaom's default effort; 2 is ~4x faster for a few percent of size.
AVIF_EFFORT = 2


def to_srgb8(image):
    """8-bit sRGB (keeping alpha): what every browser shows the same way."""
    if image.interpretation not in ("srgb",) or image.format != "uchar":
        image = image.colourspace("srgb")
    if image.format != "uchar":
        image = image.cast("uchar")
    return image


def encode(image, fmt: ImageFormat, quality: int = 85, background: tuple[int, int, int] = (255, 255, 255)) -> bytes:
    """Encoded bytes of `image`. JPEG has no alpha, so transparency is flattened onto `background`."""
    image = to_srgb8(image)
    if fmt == "jpeg":
        if image.hasalpha():
            image = image.flatten(background=list(background))
        return image.jpegsave_buffer(Q=quality, optimize_coding=True, interlace=True, keep="none")
    if fmt == "png":
        return image.pngsave_buffer(compression=6, keep="none")
    if fmt == "webp":
        return image.webpsave_buffer(Q=quality, keep="none")
    if fmt == "avif":
        return image.heifsave_buffer(Q=quality, compression="av1", effort=AVIF_EFFORT, keep="none")
    raise ValueError(f"unknown image format {fmt!r}")


def can_save_avif() -> bool:
    try:
        vips().Image.black(8, 8, bands=3).heifsave_buffer(compression="av1")
    except vips().Error:
        return False
    return True

"""Still clips (image, rendered HTML, gradient, text) and overlays prepared once as PNGs for ffmpeg.

Fitting happens here, once per clip, with Pillow's Lanczos: ffmpeg then only moves a window over
the picture (Ken Burns) or holds it. For Ken Burns the picture is prepared `zoom_max` times larger
than the frame, so zooming in shows real pixels instead of upscaled ones.
"""

from __future__ import annotations

import math
from pathlib import Path

from mediamill.processors.video.text import rgba, text_block


def zoom_max(ken_burns) -> float:
    return max(ken_burns.zoom_start, ken_burns.zoom_end) if ken_burns else 1.0


def fit_picture(source, width: int, height: int, fit: str, background: str, zoom: float = 1.0):
    """An RGB picture for a width x height frame: cover keeps the whole scaled picture (for panning)."""
    from PIL import Image, ImageFilter, ImageOps

    picture = ImageOps.exif_transpose(source).convert("RGB")
    box_w, box_h = round(width * zoom), round(height * zoom)
    if fit == "stretch":
        return picture.resize((box_w, box_h), Image.Resampling.LANCZOS)
    if fit == "cover":
        scale = max(box_w / picture.width, box_h / picture.height)
        size = (max(box_w, round(picture.width * scale)), max(box_h, round(picture.height * scale)))
        return picture.resize(size, Image.Resampling.LANCZOS)
    scale = min(box_w / picture.width, box_h / picture.height)
    inner = picture.resize((max(1, round(picture.width * scale)), max(1, round(picture.height * scale))),
                           Image.Resampling.LANCZOS)
    if background == "blur":
        canvas = fit_picture(picture, width, height, "cover", "#000000", zoom)
        canvas = canvas.crop(_centre_box(canvas.size, (box_w, box_h)))
        canvas = canvas.resize((box_w // 8, box_h // 8)).filter(ImageFilter.GaussianBlur(6)).resize((box_w, box_h))
    else:
        canvas = Image.new("RGB", (box_w, box_h), rgba(background)[:3])
    canvas.paste(inner, ((box_w - inner.width) // 2, (box_h - inner.height) // 2))
    return canvas


def _centre_box(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int, int, int]:
    left, top = (size[0] - box[0]) // 2, (size[1] - box[1]) // 2
    return left, top, left + box[0], top + box[1]


def gradient(width: int, height: int, colors: list[str], angle: float):
    """A linear gradient through evenly spaced colour stops; angle 180 runs top to bottom (CSS-like)."""
    import numpy as np
    from PIL import Image

    radians = math.radians(angle)
    dx, dy = math.sin(radians), -math.cos(radians)
    xs = np.linspace(-0.5, 0.5, width)[None, :]
    ys = np.linspace(-0.5, 0.5, height)[:, None]
    reach = abs(dx) * 0.5 + abs(dy) * 0.5
    position = ((xs * dx + ys * dy) / (2 * reach) + 0.5).clip(0, 1)
    stops = np.array([rgba(c)[:3] for c in colors], dtype=np.float32)
    scaled = position * (len(stops) - 1)
    low = np.floor(scaled).astype(int).clip(0, len(stops) - 2)
    frac = (scaled - low)[..., None]
    pixels = stops[low] * (1 - frac) + stops[low + 1] * frac
    return Image.fromarray(pixels.astype("uint8"), "RGB")


def text_card(clip, width: int, height: int, zoom: float = 1.0):
    """A full-frame card: gradient or flat background with the clip's text centred."""
    from PIL import Image

    box = (round(width * zoom), round(height * zoom))
    card = (gradient(*box, clip.colors, 180) if clip.colors else Image.new("RGB", box, rgba(clip.background)[:3]))
    block = text_block(clip.text, clip.style, int(box[0] * clip.style.max_width))
    card.paste(block, ((box[0] - block.width) // 2, (box[1] - block.height) // 2), block)
    return card


def save(image, path: Path) -> Path:
    # compress_level=1: these PNGs live for one job; writing fast beats writing small.
    image.save(path, format="PNG", compress_level=1)
    return path

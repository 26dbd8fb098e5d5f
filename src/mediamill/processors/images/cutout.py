"""image.cutout: the salient object of a picture as a transparent cutout, on a backdrop, and its mask."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mediamill.errors import BadInput
from mediamill.processors.assets.edge import decoding
from mediamill.processors.assets.encode import EXTENSION, MIME, encode
from mediamill.processors.assets.kinds import detect
from mediamill.processors.assets.render import Box, fit
from mediamill.processors.images import operations as op
from mediamill.processors.images.background import foreground_mask
from mediamill.processors.images.staging import object_bounds, on_backdrop, parse_colour, trimmed
from mediamill.settings import get_settings
from mediamill.tasks import TaskContext, task

Output = Literal["cutout", "backdrop", "mask"]
WHITE = "#ffffff"


class CutoutParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outputs: list[Output] = Field(["cutout", "backdrop", "mask"], min_length=1,
                                  description="cutout: transparent image; backdrop: on a flat colour; mask: greyscale")
    format: Literal["png", "webp"] = Field("png", description="format of the transparent cutout")
    backdrop: str = Field("white", pattern=r"^(white|brand|#[0-9a-fA-F]{6})$",
                          description="white, brand (the configured brand colour, [email] brand_color) or #rrggbb")
    backdrop_format: Literal["jpeg", "png", "webp"] = Field("jpeg", description="format of the backdrop version")
    shadow: float = Field(0.45, ge=0, le=1, description="opacity of the soft shadow under the object (0 = none)")
    margin: float = Field(0.1, ge=0, le=0.5,
                          description="room kept around the object, as a share of its longer side (cutout and backdrop)")
    background_method: Literal["model", "border"] = Field(
        "model", description="model: u2netp segmentation; border: key out the border colour (no model)")
    max_side: int = Field(2048, ge=64, le=8192, description="work at most this many pixels on the long side")
    quality: int = Field(90, ge=1, le=100)


@task("image.cutout", queue="images", inputs=(1, 1))
def cut_out(ctx: TaskContext, params: CutoutParams) -> dict:
    """The picture's salient object (u2netp) as a transparent cutout, on a backdrop with a soft shadow,
    and the mask itself, each an artifact linked to the source. Nothing salient is BadInput."""
    source = ctx.input(0)
    path = ctx.path(source)
    kind = detect(path)
    if kind.kind not in ("image", "svg"):
        raise BadInput(f"image.cutout needs an image, got {kind.mime}", field="inputs")
    colour = parse_colour(_backdrop_hex(ctx, params.backdrop))
    stem = (source.name or "image").rsplit(".", 1)[0]
    with decoding("image"):
        image = op.to_working(fit(path, kind, Box(params.max_side, params.max_side), ctx.limits))
        rgb = image[:3].copy_memory()
        ctx.progress(10, "segment")
        mask, facts = foreground_mask(rgb, params.background_method)
        mask = mask.copy_memory()
        ctx.check()
        bounds, area = object_bounds(mask)
        cut = trimmed(rgb, mask, bounds, params.margin)
        facts = {**facts, "foreground_fraction": round(area, 4),
                 "bbox": {"left": bounds.left, "top": bounds.top, "width": bounds.width, "height": bounds.height}}
        made = {}
        ctx.progress(60, "encode")
        if "cutout" in params.outputs:
            made["cutout"] = ctx.put(encode(cut, params.format, params.quality),
                                     name=f"{stem}-cutout{EXTENSION[params.format]}", mime=MIME[params.format],
                                     source_artifact=source,
                                     metadata={"kind": "cutout", "width": cut.width, "height": cut.height, **facts})
        if "backdrop" in params.outputs:
            staged = on_backdrop(cut, colour, params.shadow)
            fmt = params.backdrop_format
            made["backdrop"] = ctx.put(encode(staged, fmt, params.quality), name=f"{stem}-backdrop{EXTENSION[fmt]}",
                                       mime=MIME[fmt], source_artifact=source,
                                       metadata={"kind": "backdrop", "backdrop": "#{:02x}{:02x}{:02x}".format(*colour),
                                                 "shadow": params.shadow, "width": staged.width,
                                                 "height": staged.height, **facts})
        if "mask" in params.outputs:
            # The mask keeps the working size (not the crop) so it lines up with the source picture.
            # Saved as one grey band: encode() would turn it into sRGB.
            grey = mask.copy(interpretation="b-w").pngsave_buffer(compression=6, keep="none")
            made["mask"] = ctx.put(grey, name=f"{stem}-mask.png",
                                   mime="image/png", source_artifact=source,
                                   metadata={"kind": "mask", "width": mask.width, "height": mask.height, **facts})
    return {"source": source.id, "width": cut.width, "height": cut.height, **facts, **made}


def _backdrop_hex(ctx: TaskContext, backdrop: str) -> str:
    if backdrop == "white":
        return WHITE
    if backdrop == "brand":
        return (ctx.settings or get_settings()).email.brand_color
    return backdrop

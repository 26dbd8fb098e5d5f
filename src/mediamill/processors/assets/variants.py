"""asset.variants: the preset sizes of an image (with optional WebP/AVIF siblings), or H.264 transcodes of a video.

An image is decoded once, with shrink-on-load, at the size of the largest box asked for; every
smaller variant is resized from that in-memory copy. Each variant is an artifact linked to its source.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mediamill.errors import BadInput
from mediamill.processors.assets.edge import decoding
from mediamill.processors.assets.encode import EXTENSION, MIME, ImageFormat, encode
from mediamill.processors.assets.kinds import Kind, detect
from mediamill.processors.assets.presets import (
    DEFAULT_IMAGE_VARIANTS,
    DEFAULT_VIDEO_VARIANTS,
    IMAGE_PRESETS,
    VIDEO_PRESETS,
    ImagePreset,
)
from mediamill.processors.assets.render import Box, fit
from mediamill.tasks import TaskContext, task


class VariantsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    variants: list[str] | None = Field(None, description="preset names (THUMBNAIL, PREVIEW, WEB_OPTIMIZED, "
                                       "MOBILE, 720p, 480p or a user preset); default: the four image presets "
                                       "for pictures, 720p and 480p for videos")
    siblings: list[ImageFormat] = Field(default_factory=list, description="extra encodings of each image "
                                        "variant, e.g. [\"webp\", \"avif\"]")
    presets: dict[str, ImagePreset] = Field(default_factory=dict, description="user presets: name -> "
                                            "{width, height, quality, format}; they override built-ins")

    @field_validator("siblings")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


@task("asset.variants", queue="variants", inputs=(1, 1))
def make_variants(ctx: TaskContext, params: VariantsParams) -> dict:
    """Every requested preset as its own artifact (source_artifact = the input); never enlarged."""
    source = ctx.input(0)
    path = ctx.path(source)
    kind = detect(path)
    image_presets = {**IMAGE_PRESETS, **params.presets}
    names = params.variants or list(DEFAULT_VIDEO_VARIANTS if kind.kind == "video" else DEFAULT_IMAGE_VARIANTS)
    if not params.variants and params.presets and kind.kind != "video":
        names += [name for name in params.presets if name not in names]
    unknown = [n for n in names if n not in image_presets and n not in VIDEO_PRESETS]
    if unknown:
        raise BadInput(f"unknown variant(s) {', '.join(unknown)}; known: "
                       f"{', '.join([*image_presets, *VIDEO_PRESETS])}", field="params.variants")
    stills = {n: image_presets[n] for n in names if n in image_presets}
    videos = [n for n in names if n in VIDEO_PRESETS]
    if videos and kind.kind != "video":
        raise BadInput(f"video presets ({', '.join(videos)}) need a video input, got {kind.kind}",
                       field="params.variants")
    results: dict = {}
    with decoding(kind.kind):
        if stills:
            results.update(_image_variants(ctx, path, kind, source, stills, params.siblings))
        for index, name in enumerate(videos):
            results[name] = _video_variant(ctx, path, source, name, index, len(videos))
    return {"source": source.id, "kind": kind.kind, "variants": results}


def _image_variants(ctx: TaskContext, path, kind: Kind, source, presets: dict[str, ImagePreset],
                    siblings: list[str]) -> dict:
    largest = max(presets.values(), key=lambda p: p.width * p.height)
    # Decode once at the largest box (shrink-on-load); smaller variants come from this copy.
    base = fit(path, kind, Box(largest.width, largest.height), ctx.limits).copy_memory()
    ctx.check()
    stem = (source.name or "asset").rsplit(".", 1)[0]
    out: dict = {}
    for done, (name, preset) in enumerate(sorted(presets.items(), key=lambda kv: -kv[1].width * kv[1].height)):
        ctx.progress(100 * done / len(presets), name)
        image = base if preset is largest else base.thumbnail_image(preset.width, height=preset.height, size="down")
        entry = {"width": image.width, "height": image.height, "quality": preset.quality}
        for fmt in [preset.format, *[s for s in siblings if s != preset.format]]:
            ctx.check()
            artifact = ctx.put(encode(image, fmt, preset.quality), name=f"{stem}-{name.lower()}{EXTENSION[fmt]}",
                               mime=MIME[fmt], source_artifact=source,
                               metadata={"variant": name, "width": image.width, "height": image.height,
                                         "quality": preset.quality, "format": fmt})
            entry[fmt if fmt != preset.format else "artifact"] = artifact
        entry["format"] = preset.format
        out[name] = entry
    return out


def _video_variant(ctx: TaskContext, path, source, name: str, index: int, count: int) -> dict:
    from mediamill.processors.assets.transcode import transcode

    target = ctx.scratch_file(f"{name}.mp4")
    span = 100 / count
    facts = transcode(path, target, VIDEO_PRESETS[name], ctx.limits,
                      on_progress=lambda f: (ctx.check(), ctx.progress(index * span + f * span, name)))
    stem = (source.name or "video").rsplit(".", 1)[0]
    artifact = ctx.put(target, name=f"{stem}-{name}.mp4", mime="video/mp4", source_artifact=source,
                       metadata={"variant": name, **facts})
    return {"artifact": artifact, **facts}

"""image.enhance: N enhanced versions of a product photo, offline by default (or a generative edit API)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mediamill.errors import BadInput, ProviderError
from mediamill.processors.assets.edge import decoding
from mediamill.processors.assets.encode import EXTENSION, MIME, ImageFormat, encode
from mediamill.processors.assets.kinds import detect
from mediamill.processors.assets.render import Box, fit
from mediamill.processors.images import operations as op
from mediamill.processors.images.background import clean_background
from mediamill.tasks import TaskContext, task

# Each version is a recipe: (name, [(operation, strength), ...]), applied in order.
RECIPES: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = (
    ("natural", (("white_balance", 0.6), ("auto_levels", 0.7), ("sharpen", 0.3))),
    ("vivid", (("white_balance", 1.0), ("auto_levels", 1.0), ("local_contrast", 0.4), ("saturate", 1.0),
               ("sharpen", 0.5))),
    ("crisp", (("denoise", 0.6), ("white_balance", 0.8), ("auto_levels", 1.0), ("local_contrast", 0.7),
               ("sharpen", 1.0))),
    ("soft", (("denoise", 1.0), ("white_balance", 0.8), ("auto_levels", 0.5))),
    ("punchy", (("auto_levels", 1.0), ("local_contrast", 1.0), ("saturate", 0.6), ("sharpen", 0.7))),
    ("clean", (("denoise", 0.4), ("white_balance", 1.0), ("auto_levels", 0.8), ("sharpen", 0.5))),
)
OPERATIONS = {"auto_levels": op.auto_levels, "white_balance": op.white_balance, "denoise": op.denoise,
              "local_contrast": op.local_contrast, "sharpen": op.sharpen, "saturate": op.saturate}


class EnhanceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(3, ge=1, le=len(RECIPES), description="how many enhanced versions to make")
    upscale: bool = Field(False, description="enlarge 2x (Lanczos + sharpen) after enhancing")
    clean_background: bool = Field(False, description="keep only the salient object, replace the rest")
    background: Literal["white", "transparent"] = Field("white", description="what replaces the backdrop")
    background_method: Literal["model", "border"] = Field(
        "model", description="model: u2netp segmentation; border: key out the border colour (no model)")
    max_side: int = Field(2048, ge=64, le=8192, description="work at most this many pixels on the long side")
    format: ImageFormat = Field("jpeg", description="jpeg, png, webp or avif (transparent forces png)")
    quality: int = Field(90, ge=1, le=100)
    generative: Literal["off", "auto", "require"] = Field(
        "auto", description="auto: use the image edit API when its key is set; require: fail without it")
    prompt: str | None = Field(None, max_length=4000, description="instruction for the generative edit")


@task("image.enhance", queue="images", inputs=(1, 1))
def enhance_image(ctx: TaskContext, params: EnhanceParams) -> dict:
    """`count` enhanced versions of a product photo, each an artifact linked to the source."""
    from mediamill.processors.images.generative import OpenAIImages

    source = ctx.input(0)
    path = ctx.path(source)
    kind = detect(path)
    if kind.kind not in ("image", "svg"):
        raise BadInput(f"image.enhance needs an image, got {kind.mime}", field="inputs")
    provider = OpenAIImages.from_settings() if params.generative != "off" else None
    if params.generative == "require" and provider is None:
        raise BadInput("generative=require but no MEDIAMILL_OPENAI_API_KEY / OPENAI_API_KEY is set",
                       field="params.generative")
    with decoding("image"):
        base = op.to_working(fit(path, kind, Box(params.max_side, params.max_side), ctx.limits)).copy_memory()
        if provider is not None:
            versions = _generative(ctx, provider, base, params)
        else:
            versions = _offline(ctx, base, params)
        fmt = "png" if params.clean_background and params.background == "transparent" else params.format
        stem = (source.name or "image").rsplit(".", 1)[0]
        outputs = []
        for index, (name, image, facts) in enumerate(versions, start=1):
            ctx.check()
            artifact = ctx.put(encode(image, fmt, params.quality), name=f"{stem}-enhanced-{index}{EXTENSION[fmt]}",
                               mime=MIME[fmt], source_artifact=source,
                               metadata={"kind": "enhanced", "recipe": name, "width": image.width,
                                         "height": image.height, **facts})
            outputs.append({"artifact": artifact, "recipe": name, "width": image.width, "height": image.height,
                            **facts})
    return {"source": source.id, "mode": "generative" if provider else "offline", "versions": outputs}


def _clean(image, facts: dict, params: EnhanceParams):
    """The version with its backdrop replaced, and its facts extended with how the object was found."""
    image, found = clean_background(image, transparent=params.background == "transparent",
                                    method=params.background_method)
    return image, {**facts, **found, "operations": [*facts["operations"], "clean_background"]}


def _offline(ctx: TaskContext, base, params: EnhanceParams) -> list:
    versions = []
    for index, (name, steps) in enumerate(RECIPES[: params.count]):
        ctx.progress(100 * index / params.count, name)
        image, facts = base, {"operations": [step for step, _ in steps]}
        for step, strength in steps:
            ctx.check()
            image = OPERATIONS[step](image, strength)
        image = image.copy_memory()
        if params.clean_background:
            image, facts = _clean(image, facts, params)
        if params.upscale:
            image = op.upscale(image, 2)
            facts["operations"].append("upscale_2x")
        versions.append((name, image, facts))
    return versions


def _generative(ctx: TaskContext, provider, base, params: EnhanceParams) -> list:
    from mediamill.processors.assets._vips import vips
    from mediamill.processors.assets.limits import check_image_header

    ctx.progress(10, "generative")
    from mediamill.processors.images.generative import DEFAULT_PROMPT

    edited = provider.edit(encode(base, "png"), params.prompt or DEFAULT_PROMPT, params.count)
    versions = []
    for index, data in enumerate(edited[: params.count], start=1):
        image = vips().Image.new_from_buffer(data, "")
        check_image_header(image.width, image.height, ctx.limits, what="generated image")
        image = op.to_working(image)
        facts = {"provider": "openai", "model": provider.model, "operations": ["generative_edit"]}
        if params.clean_background:
            image, facts = _clean(image, facts, params)
        if params.upscale:
            image = op.upscale(image, 2)
            facts["operations"].append("upscale_2x")
        versions.append((f"generative-{index}", image, facts))
    if not versions:
        raise ProviderError("the image edit API returned no image")
    return versions

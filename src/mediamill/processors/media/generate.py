"""image.generate and image.thumbnail_art on queue `media`: a prompt (and brand) to an image.

The default, offline engine `html-card` composes a card (processors/media/cards.py) in headless
Chromium; it is not a diffusion model. `engine=openai` asks OpenAI's image API instead, `imagen`
Google's Imagen, `stability` Stability AI, `automatic1111` a local Stable Diffusion web UI
(processors/media/image_apis.py; errors translated by providers.http; a content-policy refusal is
BadInput on the prompt). Every result
says in `engine` which one made it. The prompt is recorded on the result and on
the image artifact's metadata, as seed 002's media records keep theirs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from mediamill.errors import BadInput, ProviderError
from mediamill.processors.media.cards import ENGINE, PRESETS, CardParams, PresetName, render_card
from mediamill.tasks import TaskContext, task

if TYPE_CHECKING:  # the adapters (and httpx) load with the first provider job
    from mediamill.processors.media.image_apis import ImageAPI


@task("image.generate", queue="media", inputs=(0, 1), timeout_s=180)
def generate_image(ctx: TaskContext, params: CardParams) -> dict:
    """An image from a prompt in a layout preset and style, with the brand's palette, font and name and
    an optional picture (e.g. an image.cutout result). Offline engine: a composed HTML/CSS card."""
    return _make(ctx, params, kind="image", scale=1.0)


class ThumbnailParams(CardParams):
    preset: PresetName = Field("youtube-thumbnail", description="the layout (see image.generate)")
    width: int = Field(640, ge=64, le=1500, description="pixel width of the preview (the height keeps the ratio)")
    name: str = Field("thumbnail.png", max_length=200, description="output file name")

    @model_validator(mode="after")
    def _not_wider_than_the_preset(self) -> ThumbnailParams:
        if self.width > PRESETS[self.preset].width:
            raise ValueError(f"width {self.width} is wider than the {self.preset} preset "
                             f"({PRESETS[self.preset].width}); use image.generate for full size")
        return self


@task("image.thumbnail_art", queue="media", inputs=(0, 1), timeout_s=180)
def thumbnail_art(ctx: TaskContext, params: ThumbnailParams) -> dict:
    """A small preview image from a prompt: the same card as image.generate (default preset
    youtube-thumbnail), rendered at `width` pixels wide."""
    return _make(ctx, params, kind="thumbnail", scale=params.width / PRESETS[params.preset].width)


def _make(ctx: TaskContext, params: CardParams, *, kind: str, scale: float) -> dict:
    from PIL import Image

    out = ctx.scratch_file("card.png")
    if params.engine != ENGINE:
        ctx.progress(10, "provider")
        extra = _from_provider(ctx, params, out, scale)
    else:
        ctx.progress(10, "compose")
        extra = {"headline": render_card(ctx, params, out, scale=scale)["headline"]}
    with Image.open(out) as image:
        width, height = image.size
    facts = {"engine": params.engine, "kind": kind, "prompt": params.prompt, "preset": params.preset,
             "style": params.style, **extra, "width": width, "height": height}
    ctx.progress(90, "store")
    source = ctx.inputs[0] if ctx.inputs and not params.image else None
    artifact = ctx.put(out, name=params.name, mime="image/png", source_artifact=source, metadata=facts)
    return {**facts, "image": artifact}


def _from_provider(ctx: TaskContext, params: CardParams, out: Path, scale: float) -> dict:
    """The provider's image for the prompt, cropped and scaled to cover the preset's size."""
    import io

    from PIL import Image, ImageOps

    provider = _provider(params.engine)
    if params.image or ctx.inputs:
        raise BadInput(f"params.image: the {params.engine} engine does not place pictures; use engine html-card",
                       field="params.image")
    preset = PRESETS[params.preset]
    size = (round(preset.width * scale), round(preset.height * scale))
    payload = provider.generate(_provider_prompt(params), preset.width, preset.height)
    ctx.check()
    try:
        with Image.open(io.BytesIO(payload)) as image:
            ImageOps.fit(image.convert("RGB"), size, Image.LANCZOS).save(out, format="PNG")
    except (OSError, ValueError) as exc:
        raise ProviderError(f"the {params.engine} image API sent an image that cannot be read ({exc})") from None
    return {"headline": None, "model": provider.model}


def _provider(engine: str) -> ImageAPI:
    from mediamill.processors.images.generative import OpenAIImages
    from mediamill.processors.media.image_apis import NEEDS, image_api
    from mediamill.settings import runtime_settings

    if engine == "openai":
        provider = OpenAIImages.from_settings()
        needs = "MEDIAMILL_OPENAI_API_KEY (or OPENAI_API_KEY)"
    else:
        provider, needs = image_api(engine, runtime_settings()), NEEDS[engine]
    if provider is None:
        raise BadInput(f"params.engine: {engine} needs {needs} on the worker", field="params.engine")
    return provider


def _provider_prompt(params: CardParams) -> str:
    """The user's prompt, with the style and brand said in words (the API takes only text)."""
    parts = [params.prompt, f"Style: {params.style}."]
    palette = params.brand.palette
    colours = [c for c in (palette.primary, palette.secondary, palette.background) if c]
    if colours:
        parts.append(f"Brand colours: {', '.join(colours)}.")
    if params.headline:
        parts.append(f"Leave room for the headline {params.headline!r}.")
    return " ".join(parts)

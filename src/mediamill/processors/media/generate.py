"""image.generate and image.thumbnail_art on queue `media`: a prompt (and brand) to an image.

The offline engine composes a card (processors/media/cards.py) in headless Chromium; it is not a
diffusion model, and every result says so in `engine`. The prompt is recorded on the result and on
the image artifact's metadata, as seed 002's media records keep theirs.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from mediamill.processors.media.cards import ENGINE, PRESETS, CardParams, PresetName, render_card
from mediamill.tasks import TaskContext, task


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

    ctx.progress(10, "compose")
    out = ctx.scratch_file("card.png")
    data = render_card(ctx, params, out, scale=scale)
    with Image.open(out) as image:
        width, height = image.size
    facts = {"engine": ENGINE, "kind": kind, "prompt": params.prompt, "preset": params.preset,
             "style": params.style, "headline": data["headline"], "width": width, "height": height}
    ctx.progress(90, "store")
    source = ctx.inputs[0] if ctx.inputs and not params.image else None
    artifact = ctx.put(out, name=params.name, mime="image/png", source_artifact=source, metadata=facts)
    return {**facts, "image": artifact}

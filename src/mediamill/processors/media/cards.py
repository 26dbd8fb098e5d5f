"""Composed cards: the params a prompt-to-image job takes, and the card rendered from them.

Layout presets fix the pixel size; styles pick how the brand palette is used. Text reaches the
page only through Jinja's autoescape, and everything that reaches CSS is validated here first
(#rrggbb colours, a plain font family name), so a hostile prompt cannot add markup, script or CSS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mediamill.processors.html.images import inline_images
from mediamill.processors.html.render import screenshot
from mediamill.processors.html.templating import load_shipped, render_template
from mediamill.settings import get_settings
from mediamill.tasks import TaskContext

ENGINE = "html-card"  # the offline engine
TEMPLATE = "media-card"
MAX_PROMPT = 1000


@dataclass(frozen=True)
class Preset:
    width: int
    height: int
    description: str


PRESETS = {
    "social-post": Preset(1080, 1080, "square social post"),
    "story": Preset(1080, 1920, "vertical story"),
    "youtube-thumbnail": Preset(1280, 720, "YouTube-style thumbnail with a large headline"),
    "banner": Preset(1500, 500, "wide banner (X/Twitter header size)"),
}
PresetName = Literal["social-post", "story", "youtube-thumbnail", "banner"]
StyleName = Literal["bold", "minimal", "gradient", "dark"]
HEX = r"^#[0-9a-fA-F]{6}$"
# The headline the prompt gives when none is set: its first clause, at most this many words.
HEADLINE_WORDS = 10
_CLAUSE_END = re.compile(r"[.!?;:\n]|\s[-–—]\s|,\s")


class Palette(BaseModel):
    model_config = ConfigDict(extra="forbid")
    primary: str | None = Field(None, pattern=HEX, description="main colour (default: [email] brand_color)")
    secondary: str | None = Field(None, pattern=HEX, description="accent colour (default #ff6b35)")
    background: str | None = Field(None, pattern=HEX,
                                   description="light background of the minimal style ([email] brand_background)")
    text: str | None = Field(None, pattern=HEX, description="text colour on light backgrounds ([email] brand_text_color)")


class Brand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=80, description="shown small above the headline")
    font: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9 \-]{0,59}$",
                             description="a font family installed on the worker, tried before Noto Sans")
    palette: Palette = Field(default_factory=Palette, description="the card's colours (#rrggbb each)")


class CardParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str = Field(max_length=MAX_PROMPT, description="what the image is about; its text goes on the card")
    style: StyleName = Field("bold", description="bold: brand colour; minimal: light; gradient: primary to "
                                                 "secondary; dark: dark with the accent colour")
    preset: PresetName = Field("social-post", description="social-post 1080x1080, story 1080x1920, "
                                                          "youtube-thumbnail 1280x720, banner 1500x500")
    headline: str | None = Field(None, max_length=140,
                                 description="the large text (default: the prompt's first clause)")
    body: str | None = Field(None, max_length=400,
                             description="the smaller text (default: the rest of the prompt, or all of it when "
                                         "`headline` is given; \"\" for none)")
    brand: Brand = Field(default_factory=Brand, description="name, font and palette (default: [email] branding)")
    image: str | None = Field(None, description="a picture placed on the card ('input:N', an artifact id or an "
                                                "http(s) URL; default: the job's input, if it has one)")
    name: str = Field("generated.png", max_length=200, description="output file name")
    engine: Literal["html-card", "openai", "imagen", "stability", "automatic1111"] = Field(
        "html-card", description="html-card: a composed card, offline; openai: OpenAI's image API "
                                 "(MEDIAMILL_OPENAI_API_KEY); imagen: Google's Imagen (MEDIAMILL_GEMINI_API_KEY); "
                                 "stability: Stability AI (MEDIAMILL_STABILITY_API_KEY); automatic1111: a local "
                                 "Stable Diffusion web UI (MEDIAMILL_A1111_URL). Providers' images are fitted to "
                                 "the preset's size")

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the prompt is empty")
        return value


def split_prompt(prompt: str) -> tuple[str, str]:
    """(headline, body): the first clause (at most HEADLINE_WORDS words) and what follows it."""
    match = _CLAUSE_END.search(prompt)
    head, rest = (prompt[:match.start()], prompt[match.end():]) if match else (prompt, "")
    words = head.split()
    if len(words) > HEADLINE_WORDS:
        head, rest = " ".join(words[:HEADLINE_WORDS]) + "…", " ".join(words[HEADLINE_WORDS:]) + " " + rest
    return head.strip(), rest.strip()


def card_data(ctx: TaskContext, params: CardParams) -> dict:
    """The template's variables: text, palette (brand over the configured brand colours), picture."""
    email = (ctx.settings or get_settings()).email
    palette = params.brand.palette
    headline, rest = split_prompt(params.prompt)
    picture = params.image or ("input:0" if ctx.inputs else "")
    return {
        "preset": params.preset, "style": params.style,
        "headline": params.headline or headline,
        "body": params.body if params.body is not None else (rest if not params.headline else params.prompt),
        "brand_name": params.brand.name or "", "font": params.brand.font or "", "picture": picture,
        "primary": palette.primary or email.brand_color, "secondary": palette.secondary or "#ff6b35",
        "background": palette.background or email.brand_background, "text": palette.text or email.brand_text_color,
    }


def render_card(ctx: TaskContext, params: CardParams, out: Path, *, scale: float = 1.0) -> dict:
    """Render the card to `out` (PNG); the data it was made from."""
    source, meta = load_shipped(TEMPLATE)
    data = inline_images(ctx, card_data(ctx, params), meta.image_fields,
                         errors_name={"picture": "params.image" if params.image else "inputs"})
    html = render_template(source, data, label=f"template {TEMPLATE}")
    preset = PRESETS[params.preset]
    ctx.check()
    screenshot(html, out, width=preset.width, height=preset.height, device_scale=scale,
               timeout_s=ctx.limits.render_timeout_s)
    return data

"""video.promo: product images + headline/copy + voice-over + word captions + music -> a 15–30 s promo.

The marketing seed's video worker (Remotion) as one mediamill job: a title card (product-promo
template), each product image with its own pan and zoom, crossfades, an end card with the call to
action, captions highlighting the spoken word, and music ducked under the voice.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mediamill.errors import BadInput
from mediamill.processors.video.compose import ComposeState, compose
from mediamill.tasks import TaskContext, task

INTRO_S, OUTRO_S, CROSSFADE_S, VOICE_START_S = 3.0, 3.5, 0.5, 0.6
# Alternating moves, so consecutive images never drift the same way.
MOVES = [
    {"zoom_start": 1.0, "zoom_end": 1.18, "focus_start": [0.5, 0.55], "focus_end": [0.5, 0.45]},
    {"zoom_start": 1.2, "zoom_end": 1.05, "focus_start": [0.35, 0.5], "focus_end": [0.6, 0.5]},
    {"zoom_start": 1.05, "zoom_end": 1.2, "focus_start": [0.6, 0.4], "focus_end": [0.45, 0.6]},
]


class PromoParams(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    headline: str = Field(min_length=1, max_length=120, description="the title card's and end card's headline")
    copy_text: str = Field("", alias="copy", max_length=400, description="one or two sentences under the headline")
    cta: str = Field("Shop now", max_length=40, description="the end card's button")
    brand: str = Field("", max_length=40, description="brand name shown on the cards")
    accent: str = Field("#ff6b35", pattern=r"^#[0-9a-fA-F]{6}$", description="accent colour, #rrggbb")
    images: list[int | str] | None = Field(None, max_length=10, description="product images; default: image inputs")
    voiceover: int | str | None = Field(None, description="voice-over audio; default: the first audio input")
    captions: int | str | None = Field(None, description="word JSON or SRT; default: the first such input")
    music: int | str | None = Field("example:music", description="music bed (ducked under the voice) or null")
    duration: float | None = Field(None, ge=15, le=30, description="default: the voice-over + 2 s, within 15–30")
    preset: Literal["vertical", "square", "landscape"] = Field(
        "vertical", description="vertical 1080x1920, square 1080x1080, landscape 1920x1080")
    highlight_words: bool = Field(True, description="the word being spoken takes the highlight colour")
    filename: str | None = Field(None, max_length=200, description="output file name; default <date>_<hash>.mp4")

    @model_validator(mode="before")
    @classmethod
    def _nulls_mean_default(cls, raw: object) -> object:
        # Pipelines pass an optional input that was not given as null; null means "the default"
        # except where null has a meaning of its own (no music, inputs picked by type, ...).
        if isinstance(raw, dict):
            return {k: v for k, v in raw.items() if v is not None or k in {"images", "voiceover", "captions", "music", "duration", "filename"}}
        return raw


def _by_kind(ctx: TaskContext) -> dict[str, list[int]]:
    kinds: dict[str, list[int]] = {"image": [], "audio": [], "captions": []}
    for index, artifact in enumerate(ctx.inputs):
        mime = artifact.mime
        if mime.startswith("image/"):
            kinds["image"].append(index)
        elif mime.startswith("audio/") or mime in {"video/mp4", "application/ogg"}:
            kinds["audio"].append(index)
        elif mime in {"application/json", "application/x-subrip", "text/vtt", "text/plain"}:
            kinds["captions"].append(index)
    return kinds


def _voice_seconds(ctx: TaskContext, ref: int | str) -> float:
    from mediamill.processors.video import assets

    info = assets.probe_media(ctx, assets.resolve(ctx, ref, "params.voiceover"), "params.voiceover", kind="audio")
    return info.duration or 0.0


def promo_timeline(ctx: TaskContext, params: PromoParams) -> dict:
    kinds = _by_kind(ctx)
    images = params.images if params.images is not None else kinds["image"] or ["example:product"]
    if not images:
        raise BadInput("params.images: a promo needs at least one product image", field="params.images")
    voice = params.voiceover if params.voiceover is not None else next(iter(kinds["audio"]), None)
    words = params.captions if params.captions is not None else next(iter(kinds["captions"]), None)
    spoken = _voice_seconds(ctx, voice) + VOICE_START_S + 2 if voice is not None else 15.0
    total = params.duration or min(30.0, max(15.0, spoken))
    transitions = CROSSFADE_S * (len(images) + 1)
    each = (total - INTRO_S - OUTRO_S + transitions) / len(images)
    if each < 1.5:
        raise BadInput(f"params.images: {len(images)} images do not fit in {total:.0f} s (at most "
                       f"{int((total - INTRO_S - OUTRO_S) // 1.5)})", field="params.images")
    card = {"headline": params.headline, "copy": params.copy_text, "cta": params.cta, "brand": params.brand,
            "accent": params.accent}
    clips = [{"type": "html", "template": "product-promo", "data": {**card, "card": "intro"}, "duration": INTRO_S,
              "ken_burns": {"zoom_start": 1.0, "zoom_end": 1.05}}]
    for index, image in enumerate(images):
        clips.append({"type": "image", "asset": image, "duration": round(each, 3), "fit": "contain", "background": "blur",
                      "ken_burns": MOVES[index % len(MOVES)],
                      "transition": {"type": "crossfade", "duration": CROSSFADE_S}})
    outro_photo = images[0] if isinstance(images[0], str) and images[0].startswith("art_") else (
        f"input:{images[0]}" if isinstance(images[0], int) else "")
    clips.append({"type": "html", "template": "product-promo", "duration": OUTRO_S,
                  "data": {**card, "card": "outro", "product_image": outro_photo},
                  "transition": {"type": "slide_up", "duration": CROSSFADE_S}})
    audio = []
    if voice is not None:
        audio.append({"asset": voice, "role": "voice", "start": VOICE_START_S, "loop": False})
    if params.music is not None:
        audio.append({"asset": params.music, "role": "music", "volume": 0.7, "fade_in": 1.0, "fade_out": 1.5})
    timeline = {"preset": params.preset, "clips": clips, "audio": audio, "fade_out": 0.6}
    if words is not None:
        timeline["captions"] = {"asset": words, "offset": VOICE_START_S if voice is not None else 0.0,
                                "highlight": params.highlight_words}
    return timeline


@task("video.promo", queue="video", inputs=(0, 16), timeout_s=1200)
def promo(ctx: TaskContext, params: PromoParams) -> dict:
    """A 15–30 s product promo from images, headline/copy, voice-over, word captions and music."""
    state = ComposeState(raw=promo_timeline(ctx, params), name=params.filename, extra={"template": "product-promo"})
    return compose(ctx, state)

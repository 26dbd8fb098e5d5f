"""The declarative timeline of video.compose: clips, transitions, overlays, captions, audio (pydantic).

Times are seconds. Assets are job inputs, named by index (0, 1, ...) or artifact id ("art_..."), or
a bundled example ("example:product", "example:music"). `timeline_json_schema()` is what the docs show.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mediamill.errors import BadInput

PRESETS = {"vertical": (1080, 1920), "square": (1080, 1080), "landscape": (1920, 1080)}
AssetRef = Annotated[int | str, Field(description="input index, artifact id (art_...) or example:NAME")]
Color = Annotated[str, Field(pattern=r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$", description="#RRGGBB or #RRGGBBAA")]
Fit = Literal["cover", "contain", "stretch"]
TRANSITIONS = {
    # our name -> ffmpeg xfade transition
    "crossfade": "fade", "dissolve": "dissolve", "fade_black": "fadeblack", "fade_white": "fadewhite",
    "slide_left": "slideleft", "slide_right": "slideright", "slide_up": "slideup", "slide_down": "slidedown",
    "wipe_left": "wipeleft", "wipe_right": "wiperight", "zoom_in": "zoomin",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KenBurns(_Model):
    """Pan and zoom over a still: the view zooms from zoom_start to zoom_end while its centre moves."""

    zoom_start: float = Field(1.0, ge=1.0, le=3.0, description="1 = the whole frame-filling picture")
    zoom_end: float = Field(1.15, ge=1.0, le=3.0)
    focus_start: tuple[float, float] = Field((0.5, 0.5), description="view centre (x, y) as fractions of the picture")
    focus_end: tuple[float, float] = Field((0.5, 0.5))
    ease: bool = Field(True, description="ease in and out (smoothstep) instead of a constant speed")

    @field_validator("focus_start", "focus_end")
    @classmethod
    def _fractions(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not all(0.0 <= v <= 1.0 for v in value):
            raise ValueError("focus coordinates must be between 0 and 1")
        return value


class Transition(_Model):
    """How this clip enters, over the end of the previous one (the timeline gets shorter by `duration`)."""

    type: Literal[tuple(TRANSITIONS)] = "crossfade"  # type: ignore[valid-type]
    duration: float = Field(0.5, gt=0, le=5)


class TextStyle(_Model):
    font_size: int = Field(72, ge=8, le=400)
    color: Color = "#FFFFFF"
    bold: bool = True
    align: Literal["left", "center", "right"] = "center"
    max_width: float = Field(0.86, gt=0, le=1, description="wrap width as a fraction of the frame width")
    stroke_width: int = Field(0, ge=0, le=20)
    stroke_color: Color = "#000000"
    box_color: Color | None = Field(None, description="a rounded box behind the text")
    line_spacing: float = Field(1.2, ge=0.8, le=3)


class Overlay(_Model):
    """An image or text on top of the clips, from `start` for `duration` (clip-relative inside a clip)."""

    type: Literal["image", "text"]
    asset: AssetRef | None = None
    text: str | None = Field(None, max_length=2000)
    style: TextStyle = Field(default_factory=TextStyle)
    x: int | Literal["left", "center", "right"] = "center"
    y: int | Literal["top", "center", "bottom"] = "top"
    margin: int = Field(64, ge=0, description="distance from the edge for named positions")
    width: int | None = Field(None, gt=0, description="scale an image overlay to this width")
    start: float = Field(0.0, ge=0)
    duration: float | None = Field(None, gt=0, description="unset = until the end")

    @model_validator(mode="after")
    def _content(self) -> Overlay:
        if self.type == "image" and self.asset is None:
            raise ValueError("an image overlay needs 'asset'")
        if self.type == "text" and not self.text:
            raise ValueError("a text overlay needs 'text'")
        return self


class _Clip(_Model):
    duration: float = Field(gt=0, le=600, description="seconds on screen (transitions overlap it)")
    transition: Transition | None = Field(None, description="how this clip enters over the previous one")
    overlays: list[Overlay] = Field(default_factory=list, max_length=20)


class _Still(_Clip):
    fit: Fit = "cover"
    background: Color | Literal["blur"] = Field("#000000", description="behind a 'contain' picture")
    ken_burns: KenBurns | None = None


class ImageClip(_Still):
    type: Literal["image"]
    asset: AssetRef


class HtmlClip(_Still):
    type: Literal["html"]
    template: str | None = Field(None, description="a shipped template (tweet-reel, product-promo, media-card)")
    html: str | None = Field(None, max_length=1_000_000, description="or an inline Jinja2 template")
    data: dict[str, Any] = Field(default_factory=dict)
    image_fields: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self) -> HtmlClip:
        if bool(self.template) == bool(self.html):
            raise ValueError("give exactly one of 'template' or 'html'")
        return self


class ColorClip(_Clip):
    type: Literal["color"]
    color: Color = "#000000"


class GradientClip(_Still):
    type: Literal["gradient"]
    colors: list[Color] = Field(min_length=2, max_length=8)
    angle: float = Field(180, description="degrees; 180 = top to bottom, 90 = left to right")


class TextClip(_Clip):
    type: Literal["text"]
    text: str = Field(min_length=1, max_length=2000)
    style: TextStyle = Field(default_factory=TextStyle)
    background: Color = "#111111"
    colors: list[Color] | None = Field(None, min_length=2, max_length=8, description="a gradient background")
    ken_burns: KenBurns | None = None


class VideoClip(_Clip):
    type: Literal["video"]
    asset: AssetRef
    trim_start: float = Field(0.0, ge=0, description="skip this many seconds of the source")
    fit: Fit = "cover"
    background: Color = "#000000"


Clip = Annotated[ImageClip | HtmlClip | ColorClip | GradientClip | TextClip | VideoClip,
                 Field(discriminator="type")]


class CaptionStyle(_Model):
    font_size: int = Field(68, ge=12, le=200)
    color: Color = "#FFFFFF"
    highlight_color: Color = "#FFD60A"
    highlight_box: Color | None = Field(None, description="a rounded box behind the spoken word")
    stroke_width: int = Field(6, ge=0, le=20)
    stroke_color: Color = "#000000"
    box_color: Color | None = Field(None, description="a box behind the whole caption")
    position: Literal["top", "center", "bottom"] = "bottom"
    margin: float = Field(0.16, ge=0, le=0.5, description="distance from the edge, fraction of the height")
    max_chars_per_line: int = Field(24, ge=5, le=80)
    max_lines: int = Field(2, ge=1, le=4)
    uppercase: bool = False


class Captions(_Model):
    """Burned-in captions from an SRT file or word timings (JSON), optionally highlighting the spoken word."""

    asset: AssetRef
    highlight: bool = Field(True, description="colour the word being spoken")
    offset: float = Field(0.0, ge=-60, le=60, description="shift every caption by this many seconds")
    style: CaptionStyle = Field(default_factory=CaptionStyle)


class AudioTrack(_Model):
    asset: AssetRef
    role: Literal["voice", "music", "effect"] = "voice"
    start: float = Field(0.0, ge=0, description="where the track starts on the timeline")
    trim_start: float = Field(0.0, ge=0, description="skip this many seconds of the source")
    duration: float | None = Field(None, gt=0, description="unset = to the end of the source (or video)")
    volume: float = Field(1.0, ge=0, le=4, description="linear gain")
    fade_in: float = Field(0.0, ge=0, le=30)
    fade_out: float = Field(0.0, ge=0, le=30)
    loop: bool | None = Field(None, description="repeat to fill the video (default: music loops)")


class Ducking(_Model):
    enabled: bool = Field(True, description="lower the music under the voice")
    threshold: float = Field(0.02, gt=0, le=1, description="voice level that starts ducking")
    ratio: float = Field(8, ge=1, le=20)
    attack_ms: float = Field(20, gt=0, le=2000)
    release_ms: float = Field(400, gt=0, le=9000)


class Output(_Model):
    crf: int = Field(21, ge=10, le=40, description="x264 quality (lower = better, bigger)")
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"] = "veryfast"
    audio_bitrate: str = Field("160k", pattern=r"^\d{2,3}k$")


class Timeline(_Model):
    preset: Literal["vertical", "square", "landscape"] = Field("vertical", description="1080x1920, 1080x1080, 1920x1080")
    width: int | None = Field(None, ge=64, le=3840, description="overrides the preset (even number)")
    height: int | None = Field(None, ge=64, le=3840)
    fps: Literal[24, 25, 30, 50, 60] = 30
    clips: list[Clip] = Field(min_length=1, max_length=200)
    overlays: list[Overlay] = Field(default_factory=list, max_length=50)
    captions: Captions | None = None
    audio: list[AudioTrack] = Field(default_factory=list, max_length=16)
    ducking: Ducking = Field(default_factory=Ducking)
    loudness_lufs: float | None = Field(-16.0, ge=-40, le=-5, description="integrated loudness target; null = off")
    fade_in: float = Field(0.0, ge=0, le=10, description="from black at the start (video and audio)")
    fade_out: float = Field(0.0, ge=0, le=10, description="to black at the end (video and audio)")
    output: Output = Field(default_factory=Output)

    @property
    def size(self) -> tuple[int, int]:
        width, height = PRESETS[self.preset]
        return _even(self.width or width), _even(self.height or height)

    @model_validator(mode="after")
    def _transitions_fit(self) -> Timeline:
        for index, clip in enumerate(self.clips):
            if clip.transition is None or index == 0:
                continue
            previous = self.clips[index - 1].duration
            if clip.transition.duration >= min(previous, clip.duration):
                raise ValueError(f"clips[{index}].transition.duration: must be shorter than this clip and the previous one")
        for index, clip in enumerate(self.clips[1:-1], start=1):
            after = self.clips[index + 1].transition
            overlap = (clip.transition.duration if clip.transition else 0) + (after.duration if after else 0)
            if overlap > clip.duration:
                raise ValueError(f"clips[{index}].duration: shorter than the transitions into and out of it")
        return self


def _even(value: int) -> int:
    return value - value % 2  # yuv420p needs even sides


def parse_timeline(raw: object, prefix: str = "timeline") -> Timeline:
    """A validated Timeline, or BadInput naming each bad field like `clips[2].duration: must be > 0`."""
    if not isinstance(raw, dict):
        raise BadInput(f"{prefix}: must be a JSON object", field=prefix)
    try:
        return Timeline.model_validate(raw)
    except ValidationError as exc:
        problems = [_describe(error, prefix) for error in exc.errors()[:6]]
        first = problems[0].split(":", 1)[0]
        raise BadInput("; ".join(problems), field=first) from None


_CLIP_TAGS = {"image", "html", "color", "gradient", "text", "video"}


def _describe(error: dict, prefix: str) -> str:
    path = prefix
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in _CLIP_TAGS and path.endswith("]"):
            continue  # the discriminator's branch name is noise in a field path
        else:
            path += f".{part}"
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "union_tag_invalid":
        return f"{path}: unknown clip type {ctx.get('tag')!r}; known: {', '.join(sorted(_CLIP_TAGS))}"
    if kind == "union_tag_not_found":
        return f"{path}.type: missing; one of {', '.join(sorted(_CLIP_TAGS))}"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        sign = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()), "")
        bound = int(bound) if isinstance(bound, float) and bound.is_integer() else bound
        return f"{path}: must be {sign} {bound}"
    if kind == "missing":
        return f"{path}: required"
    if kind == "extra_forbidden":
        return f"{path}: unknown field"
    message = error["msg"].removeprefix("Value error, ")
    if message.startswith("clips["):  # a whole-timeline check that already names its field
        return f"{path}.{message}"
    return f"{path}: {message}"


def timeline_json_schema() -> dict:
    return Timeline.model_json_schema()


if __name__ == "__main__":
    import json

    print(json.dumps(timeline_json_schema(), indent=1))

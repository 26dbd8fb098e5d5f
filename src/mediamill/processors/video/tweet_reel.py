"""video.tweet_reel: the reel seed in one job — tweet card (HTML) -> 5 s video with music and fades."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from mediamill.processors.video.compose import ComposeState, compose
from mediamill.tasks import TaskContext, task


class TweetReelParams(BaseModel):
    # The reel seed's own field names (tweetBody, profileName, profilePhotoUrl) are accepted beside ours.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    text: str = Field(min_length=1, max_length=1000, description="the tweet body (seed: tweetBody)",
                      validation_alias=AliasChoices("text", "tweetBody"))
    name: str = Field(min_length=1, max_length=100, description="display name (seed: profileName)",
                      validation_alias=AliasChoices("name", "profileName"))
    username: str = Field(min_length=1, max_length=60, description="handle, with or without @")
    profile_photo: str | None = Field(
        None, description="http(s) URL (fetched safely), 'input:N' or an artifact id; default: the first "
                          "image input, else an initial on a gradient (seed: profilePhotoUrl)",
        validation_alias=AliasChoices("profile_photo", "profilePhotoUrl", "profile_photo_url"))
    theme: Literal["light", "dark"] = Field("dark", description="dark: black page; light: pale page, white card")
    verified: bool = Field(False, description="show the verified badge")
    timestamp: str = Field("", max_length=80, description="e.g. '9:41 AM · Nov 26, 2026'")
    duration: float = Field(5.0, ge=1, le=60, description="seconds")
    music: int | str | None = Field("example:music", description="audio input index/id, example:music, or null")
    music_volume: float = Field(0.8, ge=0, le=2, description="linear gain of the music")
    fade: float = Field(0.5, ge=0, le=3, description="music fades in and out; the picture fades out to black")
    motion: bool = Field(True, description="a slow push-in on the card")
    preset: Literal["vertical", "square", "landscape"] = Field(
        "vertical", description="vertical 1080x1920, square 1080x1080, landscape 1920x1080")
    filename: str | None = Field(None, max_length=200, description="output file name; default <date>_<hash>.mp4")

    @model_validator(mode="before")
    @classmethod
    def _nulls_mean_default(cls, raw: object) -> object:
        # Pipelines pass an optional input that was not given as null; null means "the default"
        # except where null has a meaning of its own (no music, inputs picked by type, ...).
        if isinstance(raw, dict):
            return {k: v for k, v in raw.items() if v is not None or k in {"profile_photo", "music", "filename"}}
        return raw


def tweet_timeline(ctx: TaskContext, params: TweetReelParams) -> dict:
    photo = params.profile_photo
    if photo is None:
        photo = next((f"input:{i}" for i, a in enumerate(ctx.inputs) if a.mime.startswith("image/")), "")
    data = {"text": params.text, "name": params.name, "username": params.username, "theme": params.theme,
            "verified": params.verified, "timestamp": params.timestamp, "profile_photo": photo}
    clip = {"type": "html", "template": "tweet-reel", "data": data, "duration": params.duration}
    if params.motion:
        clip["ken_burns"] = {"zoom_start": 1.0, "zoom_end": 1.06}
    audio = []
    if params.music is not None:
        audio.append({"asset": params.music, "role": "music", "volume": params.music_volume,
                      "fade_in": params.fade, "fade_out": params.fade})
    # No fade-in of the picture: the first frame is what feeds show as the thumbnail, so it must not be black.
    return {"preset": params.preset, "clips": [clip], "audio": audio, "fade_out": params.fade}


@task("video.tweet_reel", queue="video", inputs=(0, 2), timeout_s=600)
def tweet_reel(ctx: TaskContext, params: TweetReelParams) -> dict:
    """A tweet rendered as a card (light or dark) and made into a short video with music and fades."""
    state = ComposeState(raw=tweet_timeline(ctx, params), name=params.filename,
                         extra={"theme": params.theme, "template": "tweet-reel"})
    return compose(ctx, state)

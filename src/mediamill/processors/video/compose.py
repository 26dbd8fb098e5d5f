"""video.compose: a declarative timeline -> MP4 (H.264 + AAC, yuv420p, faststart), in ordered steps."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mediamill.errors import BadInput, EncoderFailed
from mediamill.processors.video import assets, encoder, graph, stills
from mediamill.processors.video.captions import CaptionTrack, build_track, load_words
from mediamill.processors.video.graph import Plan, Source, Track, build_command, total_frames
from mediamill.processors.video.overlays import build_layers
from mediamill.processors.video.timeline import Timeline, parse_timeline, timeline_json_schema
from mediamill.signing import download_link
from mediamill.storage.artifact import utcnow
from mediamill.tasks import TaskContext, task

# Share of the progress bar per step; the encode step reports by frame inside its share.
STEP_WEIGHTS = {"validate": 2, "assets": 4, "prepare": 12, "encode": 77, "store": 5}


class ComposeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timeline: dict[str, Any] = Field(description="the timeline (its JSON schema: docs/timeline.schema.json)")
    name: str | None = Field(None, max_length=200, description="output file name; default <date>_<hash>.mp4")


@dataclass
class ComposeState:
    """Everything one composition carries from step to step."""

    raw: dict  # the timeline as given
    name: str | None
    timeline: Timeline | None = None
    plan: Plan | None = None
    caption_track: CaptionTrack | None = None
    out: Path | None = None
    result: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # what a template task adds to the result


def compose(ctx: TaskContext, state: ComposeState) -> dict:
    """Run the steps over one state; template tasks call this with their own timeline."""
    ctx.run_steps(state, [
        ("validate", STEP_WEIGHTS["validate"], _validate),
        ("assets", STEP_WEIGHTS["assets"], lambda s: _assets(ctx, s)),
        ("prepare", STEP_WEIGHTS["prepare"], lambda s: _prepare(ctx, s)),
        ("encode", STEP_WEIGHTS["encode"], lambda s: _encode(ctx, s)),
        ("store", STEP_WEIGHTS["store"], lambda s: _store(ctx, s)),
    ])
    return state.result


@task("video.compose", queue="video", inputs=(0, 64), timeout_s=1800)
def compose_video(ctx: TaskContext, params: ComposeParams) -> dict:
    """Compose a timeline (clips, transitions, overlays, captions, audio) into an MP4."""
    return compose(ctx, ComposeState(raw=params.timeline, name=params.name))


def _validate(state: ComposeState) -> None:
    state.timeline = parse_timeline(state.raw)


def _assets(ctx: TaskContext, state: ComposeState) -> None:
    """Resolve and check every asset, so a bad file fails now, naming its field, not inside ffmpeg."""
    timeline = state.timeline
    sources: list[Source] = []
    for index, clip in enumerate(timeline.clips):
        field_name = f"timeline.clips[{index}].asset"
        if clip.type == "image":
            info = assets.probe_image(ctx, assets.resolve(ctx, clip.asset, field_name), field_name)
            sources.append(Source("still", path=info.path, size=(info.width, info.height)))
        elif clip.type == "video":
            info = assets.probe_media(ctx, assets.resolve(ctx, clip.asset, field_name), field_name, kind="video")
            if info.duration is not None and clip.trim_start >= info.duration:
                raise BadInput(f"timeline.clips[{index}].trim_start: {clip.trim_start} s is past the end of the "
                               f"video ({info.duration:.2f} s)", field=f"timeline.clips[{index}].trim_start")
            sources.append(Source("video", path=info.path, trim_start=clip.trim_start, fit=clip.fit,
                                  background=clip.background))
        elif clip.type == "color":
            sources.append(Source("color", color=clip.color))
        else:
            sources.append(Source("still"))  # drawn in the prepare step
    tracks = []
    for index, track in enumerate(timeline.audio):
        field_name = f"timeline.audio[{index}].asset"
        info = assets.probe_media(ctx, assets.resolve(ctx, track.asset, field_name), field_name, kind="audio")
        loop = track.loop if track.loop is not None else track.role == "music"
        tracks.append(Track(info.path, track.role, track.start, track.trim_start, track.duration, track.volume,
                            track.fade_in, track.fade_out, loop))
    state.plan = Plan(timeline=timeline, sources=sources, tracks=tracks)
    if timeline.captions:
        field_name = "timeline.captions.asset"
        state.extra["_words"] = load_words(assets.resolve(ctx, timeline.captions.asset, field_name), field_name)


def _prepare(ctx: TaskContext, state: ComposeState) -> None:
    """Draw every still once (fitted, zoom-ready), the overlays and the caption states."""
    timeline, plan = state.timeline, state.plan
    width, height = timeline.size
    # HTML first, then Chromium goes, then the pictures: the browser and Pillow's big buffers
    # never hold memory at the same time.
    renders = {index: _render_html(ctx, index, clip, width, height, stills.zoom_max(clip.ken_burns))
               for index, clip in enumerate(timeline.clips) if clip.type == "html"}
    _release_browser()
    for index, (clip, source) in enumerate(zip(timeline.clips, plan.sources, strict=True)):
        ctx.check()
        if source.kind != "still":
            continue
        zoom = stills.zoom_max(getattr(clip, "ken_burns", None))
        picture = _still_picture(index, clip, source, renders.get(index), width, height, zoom)
        source.path = stills.save(picture, ctx.scratch_file(f"clip-{index:03d}.png"))
        source.size = picture.size
        del picture
    plan.layers = build_layers(ctx, timeline, width, height)
    if timeline.captions:
        fps = timeline.fps
        state.caption_track = build_track(state.extra.pop("_words"), timeline.captions, width, height,
                                          total_frames(timeline) / fps, ctx.scratch)
        plan.captions = (state.caption_track.concat, state.caption_track.y)


def _still_picture(index: int, clip, source: Source, rendered: Path | None, width: int, height: int, zoom: float):
    from PIL import Image

    if clip.type == "image":
        with Image.open(source.path) as image:
            return stills.fit_picture(image, width, height, clip.fit, clip.background, zoom)
    if clip.type == "gradient":
        return stills.gradient(round(width * zoom), round(height * zoom), clip.colors, clip.angle)
    if clip.type == "text":
        return stills.text_card(clip, width, height, zoom)
    with Image.open(rendered) as image:
        return stills.fit_picture(image, width, height, clip.fit, clip.background, zoom)


def _render_html(ctx: TaskContext, index: int, clip, width: int, height: int, zoom: float) -> Path:
    from mediamill.processors.html.render import RenderParams, prepare_html, screenshot

    params = RenderParams(template=clip.template, html=clip.html, data=clip.data, image_fields=clip.image_fields,
                          width=width, height=height, device_scale=zoom)
    html, viewport = prepare_html(ctx, params)
    return screenshot(html, ctx.scratch_file(f"html-{index:03d}.png"), width=viewport["width"],
                      height=viewport["height"], device_scale=zoom, timeout_s=ctx.limits.render_timeout_s)


def _release_browser() -> None:
    """Close this process's Chromium (if any) once the HTML clips are rendered.

    It would sit on ~400 MB (PSS, measured) that Pillow and ffmpeg need next. html.render keeps its
    browser warm across jobs; a video job renders its cards once, early, so relaunching (~1.5 s)
    next time is the cheaper side of the trade.
    """
    from mediamill.processors.html import browser

    browser.shutdown()
    _trim_heap()


def _loudness(ctx: TaskContext, state: ComposeState) -> None:
    """Measure the mix and set the gain that brings it to the target (see graph.build_loudness_probe)."""
    import re
    import subprocess

    argv = graph.build_loudness_probe(encoder.ffmpeg_exe(), state.plan)
    if argv is None:
        return
    ctx.check()
    run = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    summary = run.stderr[run.stderr.rfind("Summary:"):]
    match = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    if run.returncode or not match:
        raise EncoderFailed(f"loudness pass failed: {run.stderr.strip().splitlines()[-1:]}")
    measured = float(match.group(1)) if match.group(1) != "-inf" else None
    if measured is not None and measured > -70:  # silence stays silence
        state.plan.gain_db = min(30.0, state.timeline.loudness_lufs - measured)


def _trim_heap() -> None:
    """Give the pictures' freed memory back to the OS before ffmpeg needs it (glibc keeps it otherwise)."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def _encode(ctx: TaskContext, state: ComposeState) -> None:
    _trim_heap()
    _loudness(ctx, state)
    state.out = ctx.scratch_file("composed.mp4")
    argv, n_total = build_command(encoder.ffmpeg_exe(), state.plan, state.out)
    ctx.scratch_file("ffmpeg-args.json").write_text(json.dumps(argv))  # to replay a failed run by hand
    done = sum(STEP_WEIGHTS[k] for k in ("validate", "assets", "prepare"))
    share, whole = STEP_WEIGHTS["encode"], sum(STEP_WEIGHTS.values())

    def on_frame(frame: int) -> None:
        ctx.progress(100 * (done + share * frame / n_total) / whole, f"encode {frame}/{n_total}")

    encoder.run(ctx, argv, n_total, ctx.scratch_file("ffmpeg.log"), on_frame)
    state.extra["frames"] = n_total


def _store(ctx: TaskContext, state: ComposeState) -> None:
    timeline, out = state.timeline, state.out
    width, height = timeline.size
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    name = state.name or f"{utcnow():%Y-%m-%d}_{digest[:12]}.mp4"
    duration = round(state.extra["frames"] / timeline.fps, 3)
    artifact = ctx.put(out, name=name, mime="video/mp4", metadata={
        "duration": duration, "width": width, "height": height, "fps": timeline.fps,
        "frames": state.extra["frames"], "captions": bool(timeline.captions),
    })
    state.result = {
        "video": artifact, "filename": name, "downloadUrl": _download_url(ctx, artifact),
        "expiresAt": artifact.ref().get("expiresAt"),
        "fileSize": artifact.size, "duration": duration, "resolution": f"{width}x{height}",
        "fps": timeline.fps, "frames": state.extra["frames"],
        **{k: v for k, v in state.extra.items() if k != "frames" and not k.startswith("_")},
    }
    if state.caption_track:
        state.result["captionStates"] = state.caption_track.states


def _download_url(ctx: TaskContext, artifact) -> str | None:
    """The reel seed's downloadUrl: a signed link that lives as long as the file (None when called bare)."""
    if ctx.settings is None:
        return None
    url, _ = download_link(ctx.settings, artifact.id, ttl_s=int(ctx.settings.storage_ttl_hours * 3600),
                           not_after=artifact.expires_at)
    return url


__all__ = ["ComposeState", "compose", "timeline_json_schema"]

"""Timeline assets -> local files, checked before ffmpeg runs (so bad media fails as BadInput, at once)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mediamill.errors import BadInput, LimitExceeded
from mediamill.tasks import TaskContext


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float | None = None
    width: int | None = None
    height: int | None = None


def resolve(ctx: TaskContext, ref: int | str, field: str) -> Path:
    """The local file of an input index, an input's artifact id, or a bundled example."""
    if isinstance(ref, str) and ref.startswith("example:"):
        from mediamill.examples import EXAMPLES, example_path

        name = ref.split(":", 1)[1]
        if name not in EXAMPLES:
            raise BadInput(f"{field}: unknown example {name!r}; known: {', '.join(EXAMPLES)}", field=field)
        return example_path(name)
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        index = int(ref)
        if not 0 <= index < len(ctx.inputs):
            raise BadInput(f"{field}: input #{index} does not exist (the job has {len(ctx.inputs)} inputs)",
                           field=field)
        return ctx.path(ctx.inputs[index])
    artifact = next((a for a in ctx.inputs if a.id == ref), None)
    if artifact is None:
        raise BadInput(f"{field}: {ref!r} is not an input of this job (give an input index or its artifact id)",
                       field=field)
    return ctx.path(artifact)


def probe_image(ctx: TaskContext, path: Path, field: str) -> MediaInfo:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if image.width * image.height > ctx.limits.max_pixels:
                raise LimitExceeded(f"{field}: {image.width}x{image.height} is over the pixel limit", field=field)
            image.load()  # a truncated or corrupt file fails here, not inside ffmpeg
            return MediaInfo(path, width=image.width, height=image.height)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise BadInput(f"{field}: not a readable image ({exc})", field=field) from None


def probe_media(ctx: TaskContext, path: Path, field: str, *, kind: str) -> MediaInfo:
    """Duration (and size) of an audio or video file, after decoding its first frame."""
    import av

    try:
        with av.open(str(path)) as container:
            streams = container.streams.video if kind == "video" else container.streams.audio
            if not streams:
                raise BadInput(f"{field}: has no {kind} stream", field=field)
            stream = streams[0]
            duration = _duration(container, stream)
            if duration is not None and duration > ctx.limits.max_media_duration_s:
                raise LimitExceeded(f"{field}: {duration:.0f} s is longer than the limit", field=field)
            first = next(container.decode(stream), None)
            if first is None:
                raise BadInput(f"{field}: the {kind} has no decodable frames", field=field)
            if kind == "video":
                return MediaInfo(path, duration, stream.codec_context.width, stream.codec_context.height)
            return MediaInfo(path, duration)
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"{field}: not a readable {kind} file ({exc})", field=field) from None


def _duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None

"""Video and audio metadata with PyAV (FFmpeg's demuxers): duration, streams, codecs, rotation, tags."""

from __future__ import annotations

from pathlib import Path

from mediamill.errors import BadInput
from mediamill.processors.assets.audio_picture import is_cover_art
from mediamill.processors.assets.limits import check_media
from mediamill.security import Limits


def media_facts(path: Path, limits: Limits) -> dict:
    """Facts of an audio or video file; `kind` says which (cover art does not make audio a video)."""
    import av

    with av.open(str(path)) as container:
        videos = [s for s in container.streams.video if not is_cover_art(s)]
        audios = list(container.streams.audio)
        if not videos and not audios:
            raise BadInput("the media file has no audio or video stream", field="inputs")
        duration = container.duration / 1_000_000 if container.duration else None
        check_media(duration, None, limits)
        facts: dict = {
            "kind": "video" if videos else "audio",
            "container": container.format.name,
            "duration_s": round(duration, 3) if duration is not None else None,
            "bitrate": container.bit_rate or None,
            "tags": {k: str(v)[:500] for k, v in container.metadata.items()},
            "audio_streams": [_audio(s) for s in audios],
        }
        if videos:
            facts["video"] = _video(container, videos[0])
            facts["video_streams"] = len(videos)
            facts.update(width=facts["video"]["width"], height=facts["video"]["height"])
        if audios:
            first = facts["audio_streams"][0]
            facts.update(sample_rate=first["sample_rate"], channels=first["channels"], codec=first["codec"])
        if videos:
            facts["codec"] = facts["video"]["codec"]
        covers = [s for s in container.streams.video if is_cover_art(s)]
        if covers:  # the embedded picture asset.thumbnail shows for an audio file
            art = covers[0].codec_context
            facts["cover_art"] = {"width": art.width, "height": art.height, "codec": art.name}
    return facts


def _video(container, stream) -> dict:
    context = stream.codec_context
    rate = stream.average_rate or stream.guessed_rate
    rotation = 0
    try:
        frame = next(container.decode(stream))
        rotation = int(getattr(frame, "rotation", 0) or 0)
    except (StopIteration, Exception):  # noqa: BLE001 - rotation is optional: an undecodable first frame
        rotation = 0
    return {
        "codec": context.name, "width": context.width, "height": context.height,
        "fps": round(float(rate), 3) if rate else None, "pix_fmt": context.format.name if context.format else None,
        "bitrate": stream.bit_rate or context.bit_rate or None, "frames": stream.frames or None,
        "rotation": rotation,
    }


def _audio(stream) -> dict:
    context = stream.codec_context
    return {
        "codec": context.name, "sample_rate": context.sample_rate,
        "channels": context.layout.nb_channels if context.layout else context.channels,
        "bitrate": stream.bit_rate or context.bit_rate or None,
        "language": stream.language, "tags": {k: str(v)[:200] for k, v in stream.metadata.items()},
    }

"""Overlays (timeline-wide or per clip, image or text) drawn once as PNG layers with absolute times."""

from __future__ import annotations

from mediamill.processors.video import assets, stills
from mediamill.processors.video.graph import Layer
from mediamill.processors.video.text import text_block
from mediamill.processors.video.timeline import Timeline
from mediamill.tasks import TaskContext


def build_layers(ctx: TaskContext, timeline: Timeline, width: int, height: int) -> list[Layer]:
    """Timeline overlays and clip overlays (clip-relative times made absolute), as PNG layers."""
    from PIL import Image

    starts, cursor = [], 0.0
    for index, clip in enumerate(timeline.clips):
        if index and clip.transition:
            cursor -= clip.transition.duration
        starts.append(cursor)
        cursor += clip.duration
    wanted = [(overlay, 0.0, cursor, f"timeline.overlays[{i}]") for i, overlay in enumerate(timeline.overlays)]
    for index, clip in enumerate(timeline.clips):
        wanted += [(overlay, starts[index], starts[index] + clip.duration, f"timeline.clips[{index}].overlays[{i}]")
                   for i, overlay in enumerate(clip.overlays)]
    layers = []
    for number, (overlay, base, limit, field_name) in enumerate(wanted):
        if overlay.type == "text":
            picture = text_block(overlay.text, overlay.style, int(width * overlay.style.max_width))
        else:
            info = assets.probe_image(ctx, assets.resolve(ctx, overlay.asset, f"{field_name}.asset"), f"{field_name}.asset")
            with Image.open(info.path) as image:
                picture = image.convert("RGBA")
                if overlay.width:
                    ratio = overlay.width / picture.width
                    picture = picture.resize((overlay.width, max(1, round(picture.height * ratio))),
                                             Image.Resampling.LANCZOS)
        x, y = position(overlay, picture.size, width, height)
        start = base + overlay.start
        end = min(limit, start + overlay.duration) if overlay.duration else limit
        path = stills.save(picture, ctx.scratch_file(f"overlay-{number:03d}.png"))
        layers.append(Layer(path, x, y, start, end))
    return layers


def position(overlay, size: tuple[int, int], width: int, height: int) -> tuple[int, int]:
    named_x = {"left": overlay.margin, "center": (width - size[0]) // 2, "right": width - size[0] - overlay.margin}
    named_y = {"top": overlay.margin, "center": (height - size[1]) // 2, "bottom": height - size[1] - overlay.margin}
    x = overlay.x if isinstance(overlay.x, int) else named_x[overlay.x]
    y = overlay.y if isinstance(overlay.y, int) else named_y[overlay.y]
    return x, y

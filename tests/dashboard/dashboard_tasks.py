"""A real task making one artifact of each previewable kind, so the dashboard has each to show."""

from __future__ import annotations

import asyncio
import json
from fractions import Fraction

import av
import numpy as np
from pydantic import BaseModel, ConfigDict

from mediamill.examples import example_path
from mediamill.tasks import TaskContext, task


class MediaParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = "sample"
    seconds: float = 3.0


def _video(path, seconds: float) -> None:
    """A VP8 WebM (an open codec every Chromium build plays): a bar sweeping across a gradient."""
    with av.open(str(path), "w", format="webm") as container:
        # Realtime speed: the default "good" deadline takes seconds for a few frames.
        stream = container.add_stream("libvpx", rate=24, options={"deadline": "realtime", "cpu-used": "8"})
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.time_base = Fraction(1, 24)
        frames = int(seconds * 24)
        for index in range(frames):
            image = np.zeros((180, 320, 3), dtype=np.uint8)
            image[..., 0] = np.linspace(30, 220, 320, dtype=np.uint8)
            image[..., 2] = 120
            x = int(index / frames * 300)
            image[:, x:x + 20] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@task("test.media", queue="analytics")
async def media(ctx: TaskContext, params: MediaParams) -> dict:
    """Makes an image, a video, an audio clip, captions, JSON and text."""
    video = ctx.scratch_file("clip.webm")
    await asyncio.to_thread(_video, video, params.seconds)  # encoding would block the worker's loop
    captions = (f"WEBVTT\n\n00:00:00.000 --> 00:00:{params.seconds:06.3f}\n{params.title} caption line\n")
    made = {
        "image": ctx.put(example_path("product"), name="product.jpg"),
        "video": ctx.put(video, name="clip.webm", mime="video/webm"),
        "audio": ctx.put(example_path("music"), name="music.m4a"),
        "captions": ctx.put(captions.encode(), name="clip.vtt", mime="text/vtt"),
        "data": ctx.put(json.dumps({"title": params.title, "scores": [1, 2, 3]}).encode(), name="data.json",
                        mime="application/json"),
        "notes": ctx.put(f"notes about {params.title}\nsecond line\n".encode(), name="notes.txt",
                         mime="text/plain"),
    }
    ctx.log(f"made {len(made)} artifacts for {params.title}")
    return {"title": params.title, **made}

"""Runs the ffmpeg binary of imageio-ffmpeg: progress by frame, killed on cancel or deadline, errors translated."""

from __future__ import annotations

import contextlib
import selectors
import subprocess
from collections.abc import Callable
from pathlib import Path

from mediamill.errors import EncoderFailed
from mediamill.tasks import TaskContext


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run(ctx: TaskContext, argv: list[str], total_frames: int, log: Path,
        on_frame: Callable[[int], None] | None = None) -> None:
    """Run ffmpeg to completion; `ctx.check()` between progress lines kills it on cancel/timeout."""
    with open(log, "wb") as errors:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors)
        try:
            _follow(ctx, process, total_frames, on_frame)
            code = process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise
    if code != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-6:]
        raise EncoderFailed(f"ffmpeg exited with {code}: {' | '.join(tail) or 'no message'}")


def _follow(ctx: TaskContext, process: subprocess.Popen, total: int, on_frame) -> None:
    # -progress pipe:1 prints key=value blocks; a block ends with progress=continue|end.
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    buffer = b""
    try:
        while True:
            ctx.check()
            if not selector.select(timeout=0.5):
                if process.poll() is not None:
                    return
                continue
            chunk = process.stdout.read1(65536)
            if not chunk:
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if line.startswith(b"frame="):
                    with contextlib.suppress(ValueError):
                        frame = int(line[6:])
                        if on_frame:
                            on_frame(min(frame, total))
    finally:
        selector.close()

"""Draws the example product photo and synthesizes the example music bed (run: python -m mediamill.examples.generate).

Both are made from nothing but code (no samples, no photos), so they carry no third-party rights;
see LICENSE.txt in this folder. The committed files are the output of this script.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RATE = 48_000


def product_photo(path: Path, width: int = 1600, height: int = 2000) -> Path:
    """A studio shot of a ceramic travel mug: warm backdrop, table, shading, handle, soft shadow."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    ys = np.linspace(0, 1, height)[:, None]
    top, bottom = np.array([246, 226, 205]), np.array([222, 160, 120])
    backdrop = (top + (bottom - top) * ys[..., None] ** 1.4).repeat(width, axis=1)
    table_y = int(height * 0.68)
    backdrop[table_y:] = np.array([120, 86, 62]) + 30 * np.linspace(1, 0, height - table_y)[:, None, None]
    image = Image.fromarray(backdrop.clip(0, 255).astype("uint8"))

    shadow = Image.new("L", (width, height), 0)
    ImageDraw.Draw(shadow).ellipse([width * 0.22, table_y + 40, width * 0.86, table_y + 200], fill=150)
    image.paste((40, 25, 18), mask=shadow.filter(ImageFilter.GaussianBlur(40)))

    left, right, mug_top, mug_bottom = int(width * 0.28), int(width * 0.68), int(height * 0.30), table_y + 110
    xs = np.linspace(-1, 1, right - left)
    light = 0.55 + 0.45 * np.cos((xs - 0.35) * 1.4)  # a key light from the upper right
    body = np.array([28, 92, 84])[None, :] * light[:, None] + 120 * np.clip(light - 0.9, 0, 1)[:, None]
    column = np.broadcast_to(body[None], (mug_bottom - mug_top, right - left, 3))
    mug = Image.fromarray(column.clip(0, 255).astype("uint8"))
    mask = Image.new("L", mug.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, mug.width - 1, mug.height - 1], radius=60, fill=255)
    handle = ImageDraw.Draw(image)
    handle.ellipse([right - 60, mug_top + 180, right + 230, mug_top + 620], outline=(22, 70, 64), width=64)
    image.paste(mug, (left, mug_top), mask)

    lid = ImageDraw.Draw(image)
    lid.rounded_rectangle([left - 14, mug_top - 70, right + 14, mug_top + 30], radius=36, fill=(235, 232, 225))
    lid.rounded_rectangle([left + 90, mug_top - 110, right - 90, mug_top - 50], radius=26, fill=(205, 200, 192))
    band_y = mug_top + int((mug_bottom - mug_top) * 0.45)
    lid.rectangle([left, band_y, right, band_y + 150], fill=(238, 214, 160))
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf", 92)
    except OSError:
        font = ImageFont.load_default(92)
    lid.text(((left + right) // 2, band_y + 75), "TRAIL", font=font, fill=(28, 70, 64), anchor="mm")
    image = image.filter(ImageFilter.GaussianBlur(0.8))
    image.save(path, quality=86, optimize=True, progressive=True)
    return path


def _note(semitones_from_a4: float) -> float:
    return 440.0 * 2 ** (semitones_from_a4 / 12)


def music_bed(path: Path, seconds: float = 32.0) -> Path:
    """A calm 120 bpm loop: C - Am - F - G pads, a plucked arpeggio, a bass line and a soft kick."""
    import av

    t = np.arange(int(seconds * RATE)) / RATE
    left, right = np.zeros_like(t), np.zeros_like(t)
    chords = [(-21, [3, 7, 10]), (-24, [0, 3, 7]), (-28, [4, 8, 11]), (-26, [2, 5, 9])]  # roots vs A4
    bar = 2.0
    for index in range(int(seconds / bar)):
        root, triad = chords[index % 4]
        start, span = index * bar, (t >= index * bar) & (t < (index + 1) * bar)
        local = t[span] - start
        envelope = np.minimum(1, local / 0.4) * np.minimum(1, (bar - local) / 0.3)
        pad = sum(np.sin(2 * math.pi * _note(root + 12 + step) * local) for step in triad) / 3
        left[span] += 0.16 * envelope * pad
        right[span] += 0.16 * envelope * pad
        bass = np.sin(2 * math.pi * _note(root - 12) * local) * np.exp(-local * 1.2)
        left[span] += 0.22 * bass
        right[span] += 0.22 * bass
        for eighth in range(8):  # the arpeggio walks the triad an octave up, alternating sides
            onset = eighth * bar / 8
            hit = (local >= onset)
            dt = local[hit] - onset
            pitch = _note(root + 24 + triad[eighth % 3])
            pluck = (np.sin(2 * math.pi * pitch * dt) + 0.3 * np.sin(4 * math.pi * pitch * dt)) * np.exp(-dt * 7)
            (left if eighth % 2 else right)[np.flatnonzero(span)[hit]] += 0.08 * pluck
        for beat in range(4):
            onset = beat * bar / 4
            hit = local >= onset
            dt = local[hit] - onset
            kick = np.sin(2 * math.pi * (50 + 90 * np.exp(-dt * 30)) * dt) * np.exp(-dt * 9)
            left[np.flatnonzero(span)[hit]] += 0.3 * kick
            right[np.flatnonzero(span)[hit]] += 0.3 * kick
    stereo = np.stack([left, right])
    stereo *= 0.5 / np.abs(stereo).max()  # peaks at -6 dBFS
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=RATE, layout="stereo")
        stream.bit_rate = 96_000
        frame_size = 1024
        for offset in range(0, stereo.shape[1], frame_size):
            chunk = np.ascontiguousarray(stereo[:, offset:offset + frame_size], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = RATE, offset
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


if __name__ == "__main__":
    print(product_photo(HERE / "product.jpg"))
    print(music_bed(HERE / "music.m4a"))

"""Test media made on the fly (no downloads): photo-like images, a video, audio, a PDF, hostile files."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

RED, BLUE = (220, 30, 30), (30, 30, 220)


def _vips():
    import pyvips

    return pyvips


def solid(width: int, height: int, rgb) -> object:
    return (_vips().Image.black(width, height, bands=3) + list(rgb)).cast("uchar").copy(interpretation="srgb")


def halves(width: int, height: int, left=RED, right=BLUE):
    """Left half `left`, right half `right`: orientation is visible in the pixels."""
    half = width // 2
    return solid(half, height, left).join(solid(width - half, height, right), "horizontal")


def textured(width: int, height: int, seed: int = 0):
    """A photo-like picture (gradients + blobs + noise), so encoders and crops have work to do."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 128 + 100 * np.sin(x / (width / 6) + seed)
    g = 128 + 100 * np.cos(y / (height / 5))
    b = 128 + 80 * np.sin((x + y) / (width / 4))
    image = np.stack([r, g, b], axis=2) + rng.normal(0, 8, (height, width, 3))
    return _vips().Image.new_from_array(np.clip(image, 0, 255).astype(np.uint8), interpretation="srgb")


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header declares width x height pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


def minimal_pdf(pages: list[str], title: str, author: str) -> bytes:
    """A valid PDF with one line of Helvetica text per page, written by hand (correct xref offsets)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None,
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               f"<< /Title ({title}) /Author ({author}) >>"]
    kids = []
    for text in pages:
        stream = f"BT /F1 24 Tf 72 700 Td ({text}) Tj ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {len(objects)} 0 R >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def write_video(path: Path, *, width=320, height=240, seconds=2.0, fps=25, black_s=0.6, audio=True,
                rotation: int | None = None) -> Path:
    """An H.264/AAC MP4 that opens on black frames (a fade-in), then shows a moving pattern."""
    import av

    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if rotation is not None:
            video.set_display_rotation(rotation)
        sound = out.add_stream("aac", rate=44_100) if audio else None
        pattern = np.asarray(textured(width, height, seed=3).numpy())
        for index in range(int(seconds * fps)):
            frame = np.zeros_like(pattern) if index < black_s * fps else np.roll(pattern, index * 4, axis=1)
            out.mux(video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(video.encode(None))
        if sound is not None:
            t = 0
            while t < seconds * 44_100:
                samples = 0.3 * np.sin(2 * np.pi * 440 * (np.arange(1024) + t) / 44_100)
                frame = av.AudioFrame.from_ndarray(np.stack([samples, samples]).astype(np.float32),
                                                   format="fltp", layout="stereo")
                frame.sample_rate, frame.pts = 44_100, t
                out.mux(sound.encode(frame))
                t += 1024
            out.mux(sound.encode(None))
    return path


def write_audio(path: Path, seconds: float = 1.5) -> Path:
    import av

    with av.open(str(path), "w", format="ipod") as out:
        out.metadata["title"] = "Test Tone"
        out.metadata["artist"] = "mediamill"
        sound = out.add_stream("aac", rate=48_000, layout="mono")
        t = 0
        while t < seconds * 48_000:
            samples = (0.2 * np.sin(2 * np.pi * 330 * (np.arange(1024) + t) / 48_000)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(samples[None, :], format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 48_000, t
            out.mux(sound.encode(frame))
            t += 1024
        out.mux(sound.encode(None))
    return path


def with_cover_art(audio: Path, cover: Path, out: Path) -> Path:
    """`audio` re-muxed as an MP3 with `cover` embedded as its ID3 picture (ffmpeg from imageio-ffmpeg)."""
    import subprocess

    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(audio), "-i", str(cover),
                    "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-b:a", "64k", "-c:v", "mjpeg",
                    "-disposition:v", "attached_pic", "-id3v2_version", "3", str(out)], check=True, timeout=60)
    return out


def exif_jpeg(path: Path, *, orientation: int = 6, gps: bool = True) -> Path:
    """300x200 stored (red left / blue right) with EXIF orientation, camera and optional GPS."""
    from PIL import Image

    image = Image.fromarray(np.asarray(halves(300, 200).numpy()))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F], exif[0x0110] = "Canon", "EOS 5D"
    exif.get_ifd(0x8769)[0x9003] = "2024:05:01 10:20:30"
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 22.0, 30.0), 3: "W", 4: (1.0, 30.0, 0.0)})
    image.save(path, exif=exif, quality=92)
    return path

"""The asset test corpus, generated here (no downloads): real-world shapes and hostile inputs."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import numpy as np
import pytest
from assets_media import (  # noqa: F401 - re-exported for the tests
    BLUE,
    RED,
    _vips,
    exif_jpeg,
    halves,
    minimal_pdf,
    png_bomb,
    solid,
    textured,
    with_cover_art,
    write_audio,
    write_video,
)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> dict[str, Path]:
    """Every file of the corpus, by name; made once per test session."""
    return build_corpus(tmp_path_factory.mktemp("asset-corpus"))


def build_corpus(root: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}

    def keep(name: str, data: bytes) -> None:
        files[name] = root / name
        files[name].write_bytes(data)

    photo = textured(1600, 1200)
    keep("photo.jpg", photo.jpegsave_buffer(Q=90))
    keep("small.png", textured(120, 90, seed=2).pngsave_buffer())
    files["exif_rotated.jpg"] = exif_jpeg(root / "exif_rotated.jpg")
    cmyk = (_vips().Image.black(300, 200, bands=4) + [0, 230, 230, 0]).cast("uchar").copy(interpretation="cmyk")
    keep("cmyk.jpg", cmyk.jpegsave_buffer())
    rgb16 = (_vips().Image.black(300, 200, bands=4) + [60000, 20000, 5000, 40000]).cast("ushort")
    keep("rgb16_alpha.png", rgb16.copy(interpretation="rgb16").pngsave_buffer())
    frames = [solid(120, 80, colour) for colour in (RED, (30, 200, 30), BLUE)]
    animation = _vips().Image.arrayjoin(frames, across=1).copy()
    animation.set_type(_vips().GValue.gint_type, "page-height", 80)
    animation.set_type(_vips().GValue.array_int_type, "delay", [100, 100, 100])
    keep("animated.gif", animation.gifsave_buffer())
    keep("photo.webp", photo.webpsave_buffer(Q=80))
    keep("photo.tif", textured(400, 300).tiffsave_buffer())
    keep("photo.avif", textured(400, 300).heifsave_buffer(compression="av1", effort=0))
    keep("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200">'
                     b'<rect width="200" height="200" fill="#dc1e1e"/><rect x="200" width="200" height="200" '
                     b'fill="#1e1edc"/></svg>')
    files["video.mp4"] = write_video(root / "video.mp4")
    files["tone.m4a"] = write_audio(root / "tone.m4a")
    keep("cover.png", solid(300, 300, RED).pngsave_buffer())
    files["song_with_cover.mp3"] = with_cover_art(files["tone.m4a"], files["cover.png"], root / "song_with_cover.mp3")
    keep("doc.pdf", minimal_pdf(["Hello mediamill page one", "Second page text"], "Quarterly Report", "Ada"))
    # -- hostile and broken --------------------------------------------------------------
    good = files["photo.jpg"].read_bytes()
    keep("truncated.jpg", good[: len(good) // 3])
    keep("corrupt.jpg", good[:300] + bytes(np.random.default_rng(1).integers(0, 256, 20_000, dtype=np.uint8)))
    keep("empty.jpg", b"")
    keep("lying.jpg", b"this is not a picture at all, whatever its name says\n" * 20)
    keep("strip_1x100000.png", _vips().Image.black(1, 100_000).cast("uchar").pngsave_buffer())
    keep("strip_10000x3.png", (_vips().Image.black(10_000, 3) + 90).cast("uchar").pngsave_buffer())
    # A damaged cross-reference table: pypdf's parser gives up, PDFium rebuilds it and reads the page.
    damaged = minimal_pdf(["Recovered by PDFium"], "Fallback", "Ada")
    keep("pypdf_breaks.pdf", damaged[:damaged.index(b"xref")] + b"xref\ngarbage\n" + damaged[damaged.index(b"trailer"):])
    keep("bomb.png", png_bomb())
    keep("xxe.svg", b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&xxe;</text></svg>')
    return files


class _Recorder(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(solid(4, 4, RED).pngsave_buffer())

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def spy_server():
    """A local HTTP server that records every request: hostile SVGs must cause none."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_real_image_api(monkeypatch):
    """A developer's real API key must never be used by the tests."""
    for key in ("OPENAI_API_KEY", "MEDIAMILL_OPENAI_API_KEY", "MEDIAMILL_OPENAI_BASE_URL"):
        monkeypatch.delenv(key, raising=False)

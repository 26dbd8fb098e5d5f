"""html.render: real Chromium, real templates, a real local HTTP server that must (or must not) be hit."""

from __future__ import annotations

import contextlib
import http.server
import io
import os
import signal
import threading
from pathlib import Path

import psutil
import pytest
from PIL import Image

from mediamill.errors import BadInput
from mediamill.processors.html import browser
from mediamill.processors.html.templating import render_template
from mediamill.security import Limits
from mediamill.settings import Settings
from mediamill.testing import call_task

pytestmark = pytest.mark.skipif(not Path(browser.chromium_executable()).exists(),
                                reason="Chromium is not installed (scripts/setup.sh installs it)")

TWEET = {"name": "Ada Lovelace", "username": "ada", "verified": True,
         "text": "The Analytical Engine weaves algebraic patterns 🌸 #history"}


def _png(ctx, result) -> Image.Image:
    return Image.open(io.BytesIO(ctx.path(result["image"]["artifact"]).read_bytes())).convert("RGB")


def _pixels_like(image: Image.Image, color: tuple[int, int, int], tolerance: int = 30) -> int:
    import numpy as np

    pixels = np.asarray(image).astype(int)
    return int((np.abs(pixels - np.array(color)).max(axis=2) <= tolerance).sum())


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Counts every request; serves a small red PNG (a 'profile photo')."""

    hits: list[str]

    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.hits.append(self.path)
        body = io.BytesIO()
        Image.new("RGB", (64, 64), (220, 20, 20)).save(body, format="PNG")
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body.getvalue())))
        self.end_headers()
        self.wfile.write(body.getvalue())

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


def test_tweet_template_renders_at_2x(settings):
    result, ctx = call_task(settings, "html.render", {"template": "tweet-reel", "data": TWEET})
    image = _png(ctx, result)
    assert image.size == (2160, 3840) and result["deviceScale"] == 2
    assert result["image"]["mime"] == "image/png"


def test_light_and_dark_themes_differ_as_designed(settings):
    shots = {}
    for theme in ("light", "dark"):
        result, ctx = call_task(settings, "html.render",
                                {"template": "tweet-reel", "data": {**TWEET, "theme": theme}, "device_scale": 1})
        shots[theme] = _png(ctx, result)
    light, dark = shots["light"], shots["dark"]
    # Page background (corner) and card background (inside the card, left of the text).
    assert light.getpixel((10, 10)) == (232, 238, 243) and dark.getpixel((10, 10)) == (0, 0, 0)
    assert light.getpixel((100, 960)) == (255, 255, 255)
    assert dark.getpixel((100, 960)) == (22, 24, 28)
    # The text colour flips too: the darkest pixel of the light card is near-black, the dark card's brightest near-white.
    card = (80, 700, 1000, 1250)
    assert min(light.crop(card).convert("L").getdata()) < 40
    assert max(dark.crop(card).convert("L").getdata()) > 215


def test_inline_template_is_autoescaped():
    html = render_template("<p>{{ text }}</p>", {"text": "<script>alert(1)</script>"})
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_undefined_variable_is_bad_input_naming_it(settings):
    with pytest.raises(BadInput, match="'headline' is undefined"):
        call_task(settings, "html.render", {"template": "product-promo", "data": {"copy": "x"}})


def test_syntax_error_is_bad_input_with_line(settings):
    with pytest.raises(BadInput, match="syntax error at line 2"):
        call_task(settings, "html.render", {"html": "<p>\n{% if %}</p>", "width": 100, "height": 100})


def test_unknown_template_lists_known_ones(settings):
    with pytest.raises(BadInput, match="known: media-card, product-promo, tweet-reel"):
        call_task(settings, "html.render", {"template": "nope"})


def test_page_cannot_reach_the_network(settings, local_server):
    # Given a template that tries every way a page loads things (img, CSS, font, script, fetch, iframe)
    port, hits = local_server
    base = f"http://127.0.0.1:{port}"
    html = f"""<html><head><link rel="stylesheet" href="{base}/style.css">
      <style>@font-face {{ font-family: X; src: url({base}/font.woff2); }}
             body {{ background: url({base}/bg.png); font-family: X; }}</style>
      <script src="{base}/script.js"></script></head>
      <body><img src="{base}/x"><iframe src="{base}/frame"></iframe>
      <script>fetch("{base}/fetch"); new Image().src = "{base}/js-img";</script>hello</body></html>"""
    # When it renders, with scripts allowed
    result, ctx = call_task(settings, "html.render", {"html": html, "width": 200, "height": 100,
                                                      "javascript": True, "device_scale": 1})
    # Then the page rendered and the server never saw a request
    assert _png(ctx, result).size == (200, 100)
    assert hits == []


def test_profile_photo_url_is_fetched_safely_and_inlined(data_dir, local_server):
    port, hits = local_server
    allowed = Settings(data_dir=data_dir, limits=Limits(fetch_allow_hosts=[f"127.0.0.1:{port}"]))
    data = {**TWEET, "theme": "light", "profile_photo": f"http://127.0.0.1:{port}/avatar.png"}
    result, ctx = call_task(allowed, "html.render", {"template": "tweet-reel", "data": data, "device_scale": 1})
    assert hits == ["/avatar.png"]  # one request: the fetcher's, none from the browser
    assert _pixels_like(_png(ctx, result), (220, 20, 20)) > 10_000  # the 132 px round avatar is the photo


def test_private_photo_url_is_refused(settings, local_server):
    port, hits = local_server
    data = {**TWEET, "profile_photo": f"http://127.0.0.1:{port}/avatar.png"}
    with pytest.raises(BadInput, match="params.data.profile_photo"):
        call_task(settings, "html.render", {"template": "tweet-reel", "data": data})
    assert hits == []


def test_photo_from_an_input_and_corrupt_input(settings, tmp_path):
    good = tmp_path / "me.png"
    Image.new("RGB", (50, 50), (20, 200, 20)).save(good)
    result, ctx = call_task(settings, "html.render", {"template": "tweet-reel", "device_scale": 1,
                                                      "data": {**TWEET, "profile_photo": "input:0"}}, [good])
    assert _pixels_like(_png(ctx, result), (20, 200, 20)) > 10_000
    corrupt = tmp_path / "bad.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 200)
    with pytest.raises(BadInput, match="not a readable image"):
        call_task(settings, "html.render", {"template": "tweet-reel", "data": {**TWEET, "profile_photo": "input:0"}},
                  [corrupt])


def browser_pids() -> list[int]:
    """Process ids of this process's Chromium (psutil is a dev dependency: only tests need it)."""
    pids = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in (child.name() or "").lower():
                pids.append(child.pid)
        except (psutil.Error, OSError):  # Chromium's helpers come and go; one may be gone already
            continue
    return pids


def test_browser_is_reused_and_relaunched_after_it_dies(settings):
    params = {"html": "<p>{{ n }}</p>", "data": {"n": 1}, "width": 120, "height": 60, "device_scale": 1}
    call_task(settings, "html.render", params)
    launched = browser.launches()
    call_task(settings, "html.render", params)
    assert browser.launches() == launched  # reused across jobs
    pids = browser_pids()
    assert pids
    killed = 0
    for pid in pids:  # killing the browser may take its helper processes down before we reach them
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            killed += 1
    assert killed
    result, ctx = call_task(settings, "html.render", params)  # the next job still works
    assert _png(ctx, result).size == (120, 60)
    assert browser.launches() == launched + 1


@pytest.mark.slow
async def test_render_through_a_worker(client, worker):
    async with worker(["video"]):
        handle = await client.submit("html.render", {"template": "tweet-reel", "data": TWEET, "device_scale": 1})
        result = await handle.result(timeout=120)
    assert result["width"] == 1080 and result["height"] == 1920
    assert result["image"]["artifact"].startswith("art_")


def test_headless_shell_is_preferred_and_the_variable_overrides_it(monkeypatch, tmp_path):
    shell, full = tmp_path / "chromium-headless-shell", tmp_path / "chromium"
    full.write_text("#!/bin/sh\n")
    full.chmod(0o755)
    monkeypatch.delenv("MEDIAMILL_CHROMIUM", raising=False)
    monkeypatch.setattr(browser, "CHROMIUM_CANDIDATES", (str(shell), str(full)))
    assert browser.chromium_executable() == str(full), "falls back to the full browser"
    shell.write_text("#!/bin/sh\n")
    shell.chmod(0o755)
    assert browser.chromium_executable() == str(shell)
    monkeypatch.setenv("MEDIAMILL_CHROMIUM", "/opt/my/chrome")
    assert browser.chromium_executable() == "/opt/my/chrome"


def test_the_driver_starts_with_a_small_young_generation_and_leaves_the_environment_alone(monkeypatch):
    seen = {}

    class Manager:
        def start(self):
            seen["node_options"] = os.environ.get("NODE_OPTIONS")
            return "driver"

    monkeypatch.delenv("NODE_OPTIONS", raising=False)
    assert browser._start_driver(Manager()) == "driver"
    assert seen["node_options"] == browser.DRIVER_NODE_OPTIONS and "NODE_OPTIONS" not in os.environ
    monkeypatch.setenv("NODE_OPTIONS", "--max-old-space-size=512")
    browser._start_driver(Manager())
    assert seen["node_options"] == "--max-old-space-size=512", "an operator's NODE_OPTIONS wins"

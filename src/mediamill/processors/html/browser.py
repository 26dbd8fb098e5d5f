"""One headless Chromium per worker process, reused across jobs, relaunched when it has died.

Launching Chromium costs ~1.5 s and ~100 MB; a render on a warm browser costs ~0.3 s. So the
browser lives as long as the pool process (module-level state), and each render gets a fresh,
isolated context (no cookies, cache or storage shared between jobs).

Nothing a page asks for reaches the network: every request is routed and aborted (data: URLs
never hit the router), and, as a second wall, Chromium is pointed at a dead proxy for everything,
loopback included, so even a request the router missed (a WebSocket, a prefetch) goes nowhere.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

CHROMIUM_EXECUTABLE = os.environ.get("MEDIAMILL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",  # workers often run as root in containers, where the sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # small /dev/shm in containers crashes the renderer
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--disable-quic",
    "--mute-audio",
    "--font-render-hinting=none",  # the same glyph shapes on every machine
    "--proxy-server=http://127.0.0.1:9",  # port 9 (discard): a request that escapes the router dies
    "--proxy-bypass-list=<-loopback>",  # ...and loopback goes through that dead proxy too
)

_lock = threading.Lock()
_state: dict[str, Any] = {"playwright": None, "browser": None}


def _launch() -> Any:
    from playwright.sync_api import sync_playwright

    if _state["playwright"] is None:
        _state["playwright"] = sync_playwright().start()
    browser = _state["playwright"].chromium.launch(
        executable_path=CHROMIUM_EXECUTABLE, args=list(CHROMIUM_ARGS), headless=True,
    )
    _state["browser"] = browser
    return browser


def browser() -> Any:
    """The process's browser, launched on first use and relaunched if it is gone."""
    current = _state["browser"]
    if current is not None and current.is_connected():
        return current
    if current is not None:
        with contextlib.suppress(Exception):
            current.close()
    return _launch()


def forget_if_dead() -> None:
    """After a failed render: drop a disconnected browser so the next job launches a new one."""
    current = _state["browser"]
    if current is not None and not current.is_connected():
        _state["browser"] = None


def _block_network(route: Any) -> None:
    route.abort("blockedbyclient")


@contextlib.contextmanager
def page(*, width: int, height: int, scale: float, javascript: bool, timeout_s: float) -> Iterator[Any]:
    """A fresh page in its own context, with the network cut off. Retries once on a dead browser."""
    from playwright.sync_api import Error as PlaywrightError

    with _lock:  # Playwright's sync API is not thread-safe; one render at a time per process
        for attempt in (1, 2):
            try:
                context = browser().new_context(
                    viewport={"width": width, "height": height}, device_scale_factor=scale,
                    java_script_enabled=javascript, offline=True, service_workers="block",
                    bypass_csp=False, accept_downloads=False,
                )
                break
            except PlaywrightError:
                if attempt == 2:
                    raise
                _state["browser"] = None  # died between jobs: relaunch and try again
        try:
            context.set_default_timeout(timeout_s * 1000)
            context.route("**/*", _block_network)
            yield context.new_page()
        finally:
            with contextlib.suppress(Exception):
                context.close()


def browser_pids() -> list[int]:
    """Process ids of this process's Chromium (for tests that kill it, and for RSS accounting)."""
    import psutil

    me = psutil.Process()
    return [child.pid for child in me.children(recursive=True)
            if "chrom" in (child.name() or "").lower()]


def shutdown() -> None:
    with _lock:
        for key in ("browser", "playwright"):
            item = _state[key]
            _state[key] = None
            if item is not None:
                with contextlib.suppress(Exception):
                    item.close() if key == "browser" else item.stop()

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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from mediamill.settings import runtime_settings

T = TypeVar("T")

# Debian's `chromium-headless-shell` first: the headless-only build Playwright itself uses for
# headless work. Measured here rendering the promo cards: ~150 MB less memory (PSS of all its
# processes) and a third faster than the full `chromium` in headless mode, same pixels.
CHROMIUM_CANDIDATES = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")


def chromium_executable() -> str:
    """`MEDIAMILL_CHROMIUM`, else the first Debian build that is installed."""
    chosen = runtime_settings().chromium
    if chosen:
        return chosen
    return next((path for path in CHROMIUM_CANDIDATES if os.access(path, os.X_OK)), CHROMIUM_CANDIDATES[-1])


# Playwright's driver is a Node process that carries every screenshot; a 1 MB young generation
# (V8's default is 16-32 MB) keeps it ~15 MB smaller at no measurable cost.
DRIVER_NODE_OPTIONS = "--max-semi-space-size=1"
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
    # Fewer processes (measured rendering the promo cards: 349 -> 317 MB PSS, 599 -> 403 MB RSS
    # summed, as fast): no zygote (the sandbox is off anyway), the GPU and network services inside
    # the browser process. A renderer still runs apart from the browser.
    "--no-zygote",
    "--in-process-gpu",
    "--enable-features=NetworkServiceInProcess2",
    "--proxy-server=http://127.0.0.1:9",  # port 9 (discard): a request that escapes the router dies
    "--proxy-bypass-list=<-loopback>",  # ...and loopback goes through that dead proxy too
)

# Playwright's sync API runs its own event loop in the thread that starts it, which would make
# asyncio.run() (the safe fetcher) and any asyncio code in that thread fail. So every browser call
# runs in one dedicated thread, and callers wait for it.
_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mediamill-chromium")
_state: dict[str, Any] = {"playwright": None, "browser": None, "launches": 0}


def _launch() -> Any:
    from playwright.sync_api import sync_playwright

    if _state["playwright"] is None:
        _state["playwright"] = _start_driver(sync_playwright())
    browser = _state["playwright"].chromium.launch(
        executable_path=chromium_executable(), args=list(CHROMIUM_ARGS), headless=True,
    )
    _state["browser"] = browser
    _state["launches"] += 1
    return browser


def _start_driver(manager: Any) -> Any:
    """Start Playwright's driver with DRIVER_NODE_OPTIONS (it copies the environment when it starts)."""
    if "NODE_OPTIONS" in os.environ:  # the operator's choice wins
        return manager.start()
    os.environ["NODE_OPTIONS"] = DRIVER_NODE_OPTIONS
    try:
        return manager.start()
    finally:
        os.environ.pop("NODE_OPTIONS", None)


def _browser() -> Any:
    """The process's browser, launched on first use and relaunched if it is gone (browser thread only)."""
    current = _state["browser"]
    if current is not None and current.is_connected():
        return current
    if current is not None:
        with contextlib.suppress(Exception):
            current.close()
    return _launch()


def _block_network(route: Any) -> None:
    route.abort("blockedbyclient")


def _with_page(work: Callable[[Any], T], width: int, height: int, scale: float, javascript: bool,
               timeout_s: float) -> T:
    from playwright.sync_api import Error as PlaywrightError

    for attempt in (1, 2):
        try:
            context = _browser().new_context(
                viewport={"width": width, "height": height}, device_scale_factor=scale,
                java_script_enabled=javascript, offline=True, service_workers="block", accept_downloads=False,
            )
            break
        except PlaywrightError:
            if attempt == 2:
                raise
            _state["browser"] = None  # died between jobs: relaunch and try again
    try:
        context.set_default_timeout(timeout_s * 1000)
        context.route("**/*", _block_network)
        return work(context.new_page())
    except PlaywrightError:
        if not _state["browser"].is_connected():
            _state["browser"] = None  # the next job launches a fresh one
        raise
    finally:
        with contextlib.suppress(Exception):
            context.close()


def with_page(work: Callable[[Any], T], *, width: int, height: int, scale: float, javascript: bool,
              timeout_s: float) -> T:
    """Run `work(page)` on a fresh page in its own context, with the network cut off."""
    return _thread.submit(_with_page, work, width, height, scale, javascript, timeout_s).result()


def launches() -> int:
    """How many times this process launched Chromium (tests check reuse and relaunch)."""
    return _state["launches"]


def _shutdown() -> None:
    for key in ("browser", "playwright"):
        item, _state[key] = _state[key], None
        if item is not None:
            with contextlib.suppress(Exception):
                item.close() if key == "browser" else item.stop()


def shutdown() -> None:
    """Close the browser and Playwright (a later render launches them again)."""
    _thread.submit(_shutdown).result()

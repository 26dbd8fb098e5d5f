"""Server-side rendering: one Jinja2 environment (autoescaped), the filters pages share, HTML errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from mediamill import __version__
from mediamill.dashboard.auth import Visitor, apply_cookie, visitor
from mediamill.errors import MediamillError, Unauthorized
from mediamill.logs import get_logger

log = get_logger("mediamill.dashboard")
HERE = Path(__file__).parent
# Tight by design: every script and style is ours and same-origin; no inline script runs.
CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
STATE_CLASS = {"completed": "ok", "failed": "bad", "cancelled": "muted", "active": "live", "running": "live",
               "queued": "wait", "delayed": "wait", "pending": "idle", "skipped": "muted",
               "waiting-children": "wait", "unknown": "muted"}


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return "—"
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 0:
        return "in " + span(-seconds)
    return span(seconds) + " ago"


def span(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} d"


def duration(start: datetime | None, end: datetime | None) -> str:
    # Clamped: BullMQ's and the record's clocks may differ by a few ms.
    return span(max(0.0, (end - start).total_seconds())) if start and end else "—"


def size(n: int | None) -> str:
    if n is None:
        return "—"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    # isoformat, cut to the second: half the time of strftime, and the jobs page formats 50 of these.
    return moment.astimezone(UTC).isoformat(" ", "seconds")[:19] + " UTC"


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


# auto_reload off: the templates ship inside the package, and checking three files' mtimes cost every page.
env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                  trim_blocks=True, lstrip_blocks=True, auto_reload=False)
env.filters.update(ago=ago, span=span, size=size, when=when, pretty=pretty,
                   state=lambda s: STATE_CLASS.get(str(s), "idle"))
env.globals.update(duration=duration, version=__version__)


def page(request: Request, found: Visitor, template: str, status_code: int = 200, block: str | None = None,
         **context: Any) -> Response:
    """Render `template` for this visitor (its cookie set when new); fragments for htmx requests too.

    With `block`, only that block of the template (what an htmx request swaps in): one template
    for the page and its fragment, and the whole page pays nothing for it (an include would).
    """
    chosen = env.get_template(template)
    values = dict(request=request, visitor=found, user=found.user, csrf=found.csrf, path=request.url.path, **context)
    if block is None:
        html = chosen.render(values)
    else:
        html = "".join(chosen.blocks[block](chosen.new_context(values)))
    response = HTMLResponse(html, status_code=status_code, headers=_headers())
    return apply_cookie(response, found, request)


def redirect(request: Request, found: Visitor, url: str) -> Response:
    """After an action: 303 to `url` (htmx follows HX-Redirect instead, keeping its history right)."""
    if request.headers.get("hx-request"):
        response: Response = Response(status_code=204, headers={"HX-Redirect": url, **_headers()})
    else:
        response = RedirectResponse(url, status_code=303, headers=_headers())
    return apply_cookie(response, found, request)


async def event_stream(events: AsyncIterator[tuple[str, Any]],
                       shape: Callable[[str, Any], Any] = lambda _event, data: data) -> Response:
    """Server-sent events from (event, data) pairs; ("heartbeat", None) becomes a comment line.
    The first pair is read before answering, so that a NotFound is an HTML error, not a broken stream."""
    first = await anext(events)

    async def stream():
        event, data = first
        while True:
            if event == "heartbeat":
                yield b": keep-alive\n\n"
            else:
                yield f"event: {event}\ndata: {json.dumps(shape(event, data), default=str)}\n\n".encode()
            try:
                event, data = await anext(events)
            except StopAsyncIteration:
                return

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store"}


class DashboardRoute(APIRoute):
    """Errors on dashboard pages become HTML pages (a login redirect for 401 on a page), not JSON."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except MediamillError as exc:
                return await _error_page(request, exc)

        return route


async def _error_page(request: Request, exc: MediamillError) -> Response:
    found = await visitor(request)
    if isinstance(exc, Unauthorized) and request.method == "GET" and found.user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return apply_cookie(RedirectResponse(f"/dashboard/login?{_next(target)}", status_code=303), found, request)
    status = exc.status_code if 400 <= exc.status_code < 600 else 500
    if status >= 500:
        log.exception("dashboard error", path=request.url.path, error=str(exc))
    template = "fragments/error.html" if request.headers.get("hx-request") else "error.html"
    response = page(request, found, template, status_code=status, error=exc)
    if request.headers.get("hx-request"):
        # htmx does not swap error answers by default; these say where the message goes.
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def _next(target: str) -> str:
    return urlencode({"next": target})

"""Server-sent events framing, once for every stream the API serves."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi.responses import StreamingResponse

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse_frame(event: str, data: object, *, event_id: str | int | None = None) -> bytes:
    """One event; a "heartbeat" is a comment line, which keeps proxies from closing an idle stream."""
    if event == "heartbeat":
        return b": keep-alive\n\n"
    payload = json.dumps(data, default=str, separators=(",", ":"))
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {payload}\n\n".encode()


def sse_response(frames: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(frames, media_type="text/event-stream", headers=SSE_HEADERS)

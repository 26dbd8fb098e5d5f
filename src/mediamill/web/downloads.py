"""Artifact downloads: single byte ranges (video seeking), safe Content-Disposition, streamed in chunks."""

from __future__ import annotations

import re
import unicodedata
from typing import BinaryIO
from urllib.parse import quote

import anyio
from starlette.responses import Response, StreamingResponse

from mediamill.errors import BadInput
from mediamill.storage.artifact import Artifact
from mediamill.storage.mime import extension_for

CHUNK = 1024 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Shown in the browser: media only. Anything else (HTML, SVG, text) downloads, so it never runs on our origin.
_INLINE = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/avif", "video/", "audio/")


class RangeNotSatisfiable(BadInput):
    status_code = 416

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message, field="range")
        self.headers = {"Content-Range": f"bytes */{size}"}


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive for one satisfiable range; None to send the whole body.

    Several ranges, or syntax we do not understand, get the whole body (RFC 9110 lets a server ignore Range).
    """
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(f"range {header!r} asks for no bytes of a {size}-byte artifact", size)
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(f"range {header!r} is outside the artifact's {size} bytes", size)
    return start, end


def content_disposition(artifact: Artifact) -> str:
    name = artifact.name or f"{artifact.id}{extension_for(artifact.mime)}"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r'[^A-Za-z0-9._ -]', "_", ascii_name).strip(" .") or artifact.id
    kind = "inline" if artifact.mime.startswith(_INLINE) else "attachment"
    return f"{kind}; filename=\"{ascii_name[:150]}\"; filename*=UTF-8''{quote(name[:150], safe='')}"


def _headers(artifact: Artifact) -> dict[str, str]:
    return {
        "Accept-Ranges": "bytes",
        "Content-Disposition": content_disposition(artifact),
        "ETag": f'"{artifact.sha256}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, max-age=300",
    }


async def _stream(reader: BinaryIO, start: int, length: int):
    try:
        if start:
            if reader.seekable():
                await anyio.to_thread.run_sync(reader.seek, start)
            else:
                await _skip(reader, start)
        remaining = length
        while remaining > 0:
            chunk = await anyio.to_thread.run_sync(reader.read, min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        reader.close()


async def _skip(reader: BinaryIO, count: int) -> None:
    while count > 0:
        skipped = await anyio.to_thread.run_sync(reader.read, min(CHUNK, count))
        if not skipped:
            return
        count -= len(skipped)


def download_response(artifact: Artifact, reader: BinaryIO, range_header: str | None, method: str) -> Response:
    """200 with the whole artifact, 206 with one range, 416 for a range outside it; HEAD sends headers only."""
    headers = _headers(artifact)
    try:
        span = parse_range(range_header, artifact.size)
    except RangeNotSatisfiable:
        reader.close()
        raise
    status, start, length = 200, 0, artifact.size
    if span is not None:
        start, end = span
        status, length = 206, end - start + 1
        headers["Content-Range"] = f"bytes {start}-{end}/{artifact.size}"
    headers["Content-Length"] = str(length)
    if method == "HEAD":
        reader.close()
        return Response(status_code=status, headers=headers, media_type=artifact.mime)
    return StreamingResponse(_stream(reader, start, length), status_code=status, headers=headers,
                             media_type=artifact.mime)

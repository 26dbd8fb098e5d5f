"""MIME type by content (never by the name a client sends), with a few normalisations."""

from __future__ import annotations

import puremagic

SNIFF_BYTES = 8192
OCTET_STREAM = "application/octet-stream"
# puremagic spells some types differently from what browsers and ffmpeg expect.
_NORMALISE = {"audio/wave": "audio/wav", "audio/x-wav": "audio/wav", "image/jpg": "image/jpeg"}
# Signatures nothing else starts with, answered before puremagic's table walk (~1 ms for an 8 KB head,
# paid on every upload, every stored output and every asset task's detect).
_UNAMBIGUOUS = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def sniff(head: bytes) -> str:
    """The MIME type of content that starts with `head` (the first few KB are enough)."""
    if not head:
        return "application/x-empty"
    for signature, known in _UNAMBIGUOUS:
        if head.startswith(signature):
            return known
    try:
        mime = puremagic.from_string(head, mime=True)
    except (puremagic.PureError, ValueError):
        mime = ""
    if mime:
        return _NORMALISE.get(mime, mime)
    return _text_type(head)


def _text_type(head: bytes) -> str:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The cut at SNIFF_BYTES may split a multi-byte character: retry without the tail.
        try:
            text = head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return OCTET_STREAM
    if "\x00" in text:
        return OCTET_STREAM
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return "application/json"
    if stripped.startswith("WEBVTT"):
        return "text/vtt"
    if stripped[:1].isdigit() and "-->" in stripped[:200]:
        return "application/x-subrip"
    if stripped.lower().startswith(("<!doctype html", "<html")):
        return "text/html"
    return "text/plain"


EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
    "image/avif": ".avif", "image/heic": ".heic", "image/tiff": ".tif", "image/svg+xml": ".svg",
    "video/mp4": ".mp4", "video/webm": ".webm", "video/quicktime": ".mov",
    "audio/wav": ".wav", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/ogg": ".ogg",
    "application/pdf": ".pdf", "application/json": ".json", "text/plain": ".txt",
    "text/vtt": ".vtt", "application/x-subrip": ".srt", "text/html": ".html",
}


def extension_for(mime: str) -> str:
    return EXTENSIONS.get(mime, ".bin")

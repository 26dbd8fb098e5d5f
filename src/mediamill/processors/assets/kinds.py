"""What an input is, from its bytes (never from its name): image, svg, video, audio, pdf, text, other."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mediamill.storage.mime import SNIFF_BYTES, sniff

# ISO-BMFF brands of still images (HEIF/AVIF); puremagic calls every such file video/mp4.
_IMAGE_BRANDS = {b"avif": "image/avif", b"avis": "image/avif", b"heic": "image/heic", b"heix": "image/heic",
                 b"mif1": "image/heif", b"msf1": "image/heif", b"heim": "image/heic", b"heis": "image/heic",
                 b"hevc": "image/heic", b"hevx": "image/heic"}


@dataclass(frozen=True)
class Kind:
    kind: str  # image | svg | video | audio | pdf | text | other | empty
    mime: str

    @property
    def visual(self) -> bool:
        return self.kind in ("image", "svg", "video", "pdf")


def detect(path: Path) -> Kind:
    with open(path, "rb") as reader:
        head = reader.read(SNIFF_BYTES)
    return detect_bytes(head)


def detect_bytes(head: bytes) -> Kind:
    if not head:
        return Kind("empty", "application/x-empty")
    if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_BRANDS:
        mime = _IMAGE_BRANDS[head[8:12]]
        if mime == "image/heif":  # generic brand: the compatible brands say AVIF or HEVC
            compatible = head[16:int.from_bytes(head[:4], "big")]
            mime = "image/avif" if b"avif" in compatible else "image/heic"
        return Kind("image", mime)
    mime = sniff(head)
    if mime == "image/svg+xml" or (_looks_like_xml(head) and b"<svg" in head):
        return Kind("svg", "image/svg+xml")
    if mime.startswith("image/"):
        return Kind("image", mime)
    if mime == "application/pdf":
        return Kind("pdf", mime)
    if mime.startswith("video/") or mime in ("application/mp4", "video/x-matroska"):
        return Kind("video", mime)  # inspect refines: a container with no video stream is audio
    if mime.startswith("audio/") or mime in ("application/ogg",):
        return Kind("audio", mime)
    if mime.startswith("text/") or mime in ("application/json", "application/xml"):
        return Kind("text", mime)
    return Kind("other", mime)


def _looks_like_xml(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:5]
    return start in (b"<?xml", b"<svg ", b"<svg>", b"<!DOC", b"<!--") or start.startswith(b"<svg")

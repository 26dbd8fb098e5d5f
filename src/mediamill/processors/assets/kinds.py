"""What an input is, from its bytes (never from its name): image, svg, video, audio, pdf, document, text, other.

`file_type` maps a kind onto the asset seed's names (IMAGE, VIDEO, AUDIO, DOCUMENT, MODEL_3D, DESIGN, OTHER).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mediamill.processors.assets import design, models, office
from mediamill.storage.mime import SNIFF_BYTES, sniff

# ISO-BMFF brands of still images (HEIF/AVIF); puremagic calls every such file video/mp4.
_IMAGE_BRANDS = {b"avif": "image/avif", b"avis": "image/avif", b"heic": "image/heic", b"heix": "image/heic",
                 b"mif1": "image/heif", b"msf1": "image/heif", b"heim": "image/heic", b"heis": "image/heic",
                 b"hevc": "image/heic", b"hevx": "image/heic"}


@dataclass(frozen=True)
class Kind:
    kind: str  # image | svg | video | audio | pdf | document | text | model | design | other | empty
    mime: str

    @property
    def file_type(self) -> str:
        if self.kind == "text":
            return "DOCUMENT" if self.mime.startswith("text/") else "OTHER"
        return _FILE_TYPES.get(self.kind, "OTHER")

    @property
    def visual(self) -> bool:
        return self.kind in ("image", "svg", "video", "pdf")


_FILE_TYPES = {"image": "IMAGE", "video": "VIDEO", "audio": "AUDIO", "pdf": "DOCUMENT", "document": "DOCUMENT",
               "model": "MODEL_3D", "design": "DESIGN", "svg": "DESIGN"}
# Markdown has no magic bytes: these marks at the start of a line make plain text Markdown.
_MARKDOWN = re.compile(rb"^(#{1,6} \S|```|\* \S|- \S|\d+\. \S|> \S)|\]\([^)\s]+\)", re.M)


def detect(path: Path) -> Kind:
    with open(path, "rb") as reader:
        head = reader.read(SNIFF_BYTES)
    if head.startswith(b"PK\x03\x04"):
        found = office.sniff(path, head)
        if found is not None:
            return Kind("document", found.mime)
    drawn = design.sniff(head)
    if drawn is not None:
        return Kind("design", drawn)
    model = models.sniff(head, path.stat().st_size)
    if model is not None:
        return Kind("model", model)
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
    if head.startswith(b"{\\rtf"):
        return Kind("document", "application/rtf")
    mime = sniff(head)
    if mime == "text/plain" and len(_MARKDOWN.findall(head)) >= 2:
        return Kind("text", "text/markdown")
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

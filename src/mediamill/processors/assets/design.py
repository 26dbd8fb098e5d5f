"""Design files: PSD (psd-tools), Illustrator (PDF-compatible .ai, through PDFium), EPS (facts only).

A PSD's canvas size is read from its 26-byte header and checked against the pixel limits before
psd-tools reads anything else. Its thumbnail is the flattened image Photoshop stores in the file
("maximise compatibility"), composited from the layers only when that is missing.
EPS is PostScript, a programming language: rendering it means running Ghostscript on untrusted
code, so mediamill reports its bounding box and makes no picture of it.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import TYPE_CHECKING

from mediamill.errors import BadInput
from mediamill.processors.assets.limits import check_image_header
from mediamill.security import Limits

if TYPE_CHECKING:  # numpy loads with the first PSD, not with asset.inspect's task processes
    import numpy as np

PSD_MIME, AI_MIME, EPS_MIME = "image/vnd.adobe.photoshop", "application/illustrator", "application/postscript"
_COLOUR_MODES = {0: "bitmap", 1: "grayscale", 2: "indexed", 3: "rgb", 4: "cmyk", 7: "multichannel",
                 8: "duotone", 9: "lab"}
_EPS_BOX = re.compile(rb"%%BoundingBox:\s*(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)")


def sniff(head: bytes) -> str | None:
    if head[:4] == b"8BPS":
        return PSD_MIME
    if head.startswith(b"%PDF") and b"Adobe Illustrator" in head:
        return AI_MIME  # a PDF-compatible .ai: PDFium reads its PDF side
    if head.startswith(b"%!PS-Adobe") and b"EPSF" in head[:40]:
        return EPS_MIME
    if head[:4] == b"\xc5\xd0\xd3\xc6":  # DOS EPS binary header
        return EPS_MIME
    return None


def psd_header(path: Path, limits: Limits) -> dict:
    with open(path, "rb") as reader:
        head = reader.read(26)
    if len(head) < 26:
        raise BadInput("the PSD header is truncated", field="inputs")
    version, channels, height, width, depth, mode = struct.unpack(">H6xHIIHH", head[4:26])
    check_image_header(width, height, limits, what="PSD canvas", use="thumbnail")
    return {"width": width, "height": height, "channels": channels, "bit_depth": depth,
            "color_mode": _COLOUR_MODES.get(mode, str(mode)), "format": "psb" if version == 2 else "psd"}


def psd_facts(path: Path, limits: Limits) -> dict:
    from psd_tools import PSDImage

    facts = psd_header(path, limits)
    psd = PSDImage.open(path)
    layers = list(psd.descendants())
    facts.update(layers=len(layers), layer_names=[layer.name for layer in layers][:200],
                 has_flattened_image=bool(psd.has_preview()))
    return facts


def psd_flattened(path: Path, limits: Limits) -> np.ndarray:
    """RGB(A) array of the flattened canvas."""
    from psd_tools import PSDImage

    psd_header(path, limits)
    psd = PSDImage.open(path)
    image = psd.topil() if psd.has_preview() else None
    if image is None:
        image = psd.composite()
    if image is None:
        raise BadInput("the PSD has neither a flattened image nor visible layers", field="inputs")
    import numpy as np

    return np.asarray(image.convert("RGBA" if "A" in image.getbands() else "RGB"))


def eps_facts(path: Path) -> dict:
    with open(path, "rb") as reader:
        head = reader.read(64 * 1024)
    box = _EPS_BOX.search(head)
    facts: dict = {"format": "eps", "vector": True, "rendered": False}
    if box:
        x0, y0, x1, y1 = (int(v) for v in box.groups())
        facts.update(width_pt=x1 - x0, height_pt=y1 - y0)
    return facts

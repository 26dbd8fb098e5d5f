"""Image metadata from the header (dimensions, colour, alpha, depth, ICC, EXIF, frames) and a cheap decode check."""

from __future__ import annotations

from pathlib import Path

from mediamill.processors.assets._vips import vips
from mediamill.processors.assets.exif import parse_exif
from mediamill.processors.assets.limits import check_image_header
from mediamill.processors.assets.pillow_fallback import load_with_pillow, needs_pillow
from mediamill.processors.assets.svg import check_svg
from mediamill.security import Limits

BIT_DEPTH = {"uchar": 8, "char": 8, "ushort": 16, "short": 16, "uint": 32, "int": 32, "float": 32, "double": 64}
# EXIF orientations 5-8 turn the picture by 90 degrees: width and height swap on display.
_SWAPS_SIDES = {5, 6, 7, 8}


def image_facts(path: Path, limits: Limits, *, verify: bool = True, mime: str = "") -> tuple[dict, object]:
    """(facts, lazily opened image). `verify` decodes a tiny shrink-on-load copy to catch truncation."""
    pyvips = vips()
    if needs_pillow(path, mime):
        image, facts = load_with_pillow(path, limits, use="inspect")
        return {**facts, "orientation": 1, "display_width": facts["width"],
                "display_height": facts["height"]}, image
    image = pyvips.Image.new_from_file(str(path))
    fields = set(image.get_fields())
    frames = image.get("n-pages") if "n-pages" in fields else 1
    check_image_header(image.width, image.height, limits, frames=frames, use="inspect")
    loader = image.get("vips-loader") if "vips-loader" in fields else ""
    facts: dict = {
        "width": image.width, "height": image.height,
        "format": loader.removesuffix("load").removesuffix("_source").removesuffix("_buffer"),
        "color_space": image.interpretation, "bands": image.bands, "has_alpha": bool(image.hasalpha()),
        "bit_depth": image.get("bits-per-sample") if "bits-per-sample" in fields else BIT_DEPTH.get(image.format),
        "icc_profile": "icc-profile-data" in fields, "frames": frames,
        "animated": frames > 1 and loader.startswith(("gif", "webp", "heif", "png")),
    }
    if image.xres > 0 and "resolution-unit" in fields:
        facts["dpi"] = round(image.xres * 25.4)
    if "exif-data" in fields:
        exif, gps = parse_exif(image.get("exif-data"))
        facts["exif"] = exif
        facts["gps"] = gps
    orientation = image.get("orientation") if "orientation" in fields else facts.get("exif", {}).get("orientation", 1)
    facts["orientation"] = orientation if isinstance(orientation, int) else 1
    swap = facts["orientation"] in _SWAPS_SIDES
    facts["display_width"], facts["display_height"] = (image.height, image.width) if swap else (image.width, image.height)
    if verify:
        pyvips.Image.thumbnail(str(path), 64, fail_on="truncated").avg()
    return facts, image


def svg_facts(path: Path, limits: Limits) -> dict:
    data = path.read_bytes()
    check_svg(data)
    image = vips().Image.svgload_buffer(data)
    check_image_header(image.width, image.height, limits, what="SVG", use="inspect")
    return {"width": image.width, "height": image.height, "format": "svg", "color_space": "srgb",
            "has_alpha": True, "vector": True}

"""Images libvips cannot read in this build (HEIC, BMP, ICO, PCX...) are decoded by Pillow instead.

The bundled libvips has no ImageMagick loader and its libheif has no HEVC decoder (AVIF only),
so these go through Pillow (HEIC with the pillow-heif plugin, which bundles libde265). The size
is read from the header and checked against the limits before Pillow decodes anything.
"""

from __future__ import annotations

from pathlib import Path

from mediamill.errors import BadInput
from mediamill.processors.assets._vips import vips
from mediamill.processors.assets.limits import Use, check_image_header
from mediamill.security import Limits


def needs_pillow(path: Path, mime: str) -> bool:
    return mime == "image/heic" or not libvips_can_read(path)


def libvips_can_read(path: Path) -> bool:
    """Whether a libvips loader recognises the file's first bytes (nothing is decoded)."""
    pyvips = vips()
    found = pyvips.vips_lib.vips_foreign_find_load(str(path).encode()) != pyvips.ffi.NULL
    if not found:
        pyvips.vips_lib.vips_error_clear()  # find_load leaves "not a known file format" behind
    return found


def load_with_pillow(path: Path, limits: Limits, use: Use = "thumbnail"):
    """(pyvips image in memory, facts) for a format only Pillow reads."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    _register_heif()
    try:
        with Image.open(path) as image:  # reads the header only
            frames = getattr(image, "n_frames", 1)
            check_image_header(image.width, image.height, limits, frames=frames, use=use)
            facts = {"width": image.width, "height": image.height, "format": (image.format or "").lower(),
                     "color_space": image.mode, "bands": len(image.getbands()),
                     "has_alpha": "A" in image.getbands() or "transparency" in image.info,
                     "bit_depth": 16 if image.mode.startswith("I;16") else 8, "frames": frames,
                     "animated": frames > 1, "icc_profile": "icc_profile" in image.info, "decoder": "pillow"}
            rgb = image.convert("RGBA" if facts["has_alpha"] else "RGB")
    except UnidentifiedImageError:
        raise BadInput("the image format is not supported (neither libvips nor Pillow can read it)",
                       field="inputs") from None
    return vips().Image.new_from_array(np.asarray(rgb), interpretation="srgb"), facts


def _register_heif() -> None:
    try:
        import pillow_heif
    except ImportError:  # optional: without it HEIC fails with a clear BadInput
        return
    pillow_heif.register_heif_opener()

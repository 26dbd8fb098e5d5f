"""The before/after strip of image.cutout for docs/img/cutout-before-after.png.

Run: .venv/bin/python scripts/cutout_images.py [out_dir]   (the packaged example product photo, cut
by the real task on a scratch data dir: input, mask, transparent cutout over a checkerboard, white
backdrop, brand-coloured backdrop)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pyvips

from mediamill.examples import example_path
from mediamill.settings import Settings
from mediamill.testing import call_task

HEIGHT = 260
BRAND = "#2f5bea"


def checker(width: int, height: int):
    """The grey checkerboard image editors show under transparency."""
    y, x = np.mgrid[0:height, 0:width]
    tile = (((x // 12 + y // 12) % 2) * 40 + 200).astype(np.uint8)
    return pyvips.Image.new_from_array(np.stack([tile] * 3, -1), interpretation="srgb")


def main() -> None:
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch))
        branded = settings.model_copy(update={"email": settings.email.model_copy(update={"brand_color": BRAND})})
        photo = example_path("product")
        white, ctx = call_task(settings, "image.cutout", {"backdrop_format": "png"}, [photo])
        brand, _ = call_task(branded, "image.cutout", {"outputs": ["backdrop"], "backdrop": "brand",
                                                       "backdrop_format": "png"}, [photo], job_id="job_brand")

        def load(ref):
            return pyvips.Image.new_from_file(str(ctx.store.copy_to(ref["artifact"], Path(scratch) / f"{ref['artifact']}-{ref['name']}")),
                                              access="sequential").copy_memory()

        cutout = load(white["cutout"])
        tiles = [pyvips.Image.new_from_file(str(photo)), load(white["mask"]).colourspace("srgb"),
                 checker(cutout.width, cutout.height).composite2(cutout, "over")[:3],
                 load(white["backdrop"]), load(brand["backdrop"])]
        tiles = [tile.resize(HEIGHT / tile.height) for tile in tiles]
        strip = pyvips.Image.arrayjoin(tiles, shim=12, background=[255, 255, 255], valign="centre")
        strip.pngsave(str(out_dir / "cutout-before-after.png"))
    print(out_dir / "cutout-before-after.png", white["mask_confidence"], white["foreground_fraction"])


if __name__ == "__main__":
    main()

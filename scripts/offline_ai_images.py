"""The before/after images of the offline AI guide, made by the real tasks on a scratch data dir.

Run: .venv/bin/python scripts/offline_ai_images.py [out_dir]
- cutout-before-after.png: the packaged example product photo; its mask; the transparent cutout
  over a checkerboard; on a white and on a brand-coloured backdrop (image.cutout).
- upscale-before-after.png: a detail of the same photo at half size, enlarged 2x: nearest neighbour
  (the pixels as they are), plain Lanczos-3, image.upscale (Lanczos-3 + unsharp mask), the original.
- upscale-photo-before-after.png: the same four panels on a real photograph, the eye of scikit-image's
  `chelsea` (CC0, Stefan van der Walt; the wheel is a dev dependency, read as a file).
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
    upscale_strip(out_dir, example_path("product"), (630, 1000, 200, 100), "upscale-before-after.png")
    upscale_strip(out_dir, skimage_photo("chelsea"), (130, 60, 200, 100), "upscale-photo-before-after.png")


def skimage_photo(name: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec("skimage")
    if spec is None or spec.origin is None:
        sys.exit("scikit-image (a dev dependency) carries the real photos: run make setup")
    return Path(spec.origin).parent / "data" / f"{name}.png"


def upscale_strip(out_dir: Path, source: Path, box: tuple[int, int, int, int], name: str) -> None:
    """Each panel 2x more again (nearest) so that the difference is visible at page size."""
    from mediamill.processors.images.operations import upscale

    original = pyvips.Image.new_from_file(str(source))[:3].crop(*box).copy_memory()
    with tempfile.TemporaryDirectory() as scratch:
        small_path = Path(scratch) / "detail.png"
        small = original.resize(0.5, kernel="lanczos3")
        small.pngsave(str(small_path))
        result, ctx = call_task(Settings(data_dir=Path(scratch) / "data"), "image.upscale", {"format": "png"},
                                [small_path])
        ours = pyvips.Image.new_from_file(str(ctx.store.copy_to(result["artifact"]["artifact"],
                                                                Path(scratch) / "x2.png"))).copy_memory()
    panels = [small.resize(2, kernel="nearest"), upscale(small, 2, 0), ours, original]
    panels = [panel.resize(2, kernel="nearest") for panel in panels]
    strip = pyvips.Image.arrayjoin(panels, shim=12, background=[255, 255, 255])
    strip.pngsave(str(out_dir / name))
    print(out_dir / name)


if __name__ == "__main__":
    main()

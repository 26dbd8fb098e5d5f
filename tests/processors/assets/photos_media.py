"""Real photographs bundled in the scikit-image wheel (skimage/data), read as files: no download.

Licences, as skimage.data documents them: astronaut (NASA, public domain), coffee (CC0, Rachel
Michetti), chelsea (CC0, Stefan van der Walt), rocket (SpaceX, public domain), motorcycle_left
(Middlebury stereo set), grass / gravel / brick (CC0 textures), horse (CC0 clip art silhouette).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

COLOUR_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "motorcycle_left")
GREY_TEXTURES = ("grass", "gravel", "brick")


def photo_path(name: str) -> Path:
    spec = importlib.util.find_spec("skimage")
    if spec is None or spec.origin is None:
        pytest.skip("scikit-image (a dev dependency) carries the real photos")
    folder = Path(spec.origin).parent / "data"
    found = [path for path in folder.glob(f"{name}.*") if path.suffix in (".png", ".jpg")]
    assert found, f"{name} is not in {folder}"
    return found[0]


def photo(name: str):
    """The photo as a pyvips image in memory (RGB or grey as stored)."""
    import pyvips

    return pyvips.Image.new_from_file(str(photo_path(name))).copy_memory()

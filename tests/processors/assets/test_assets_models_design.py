"""3D models (glTF/GLB, OBJ, STL, PLY) and design files (PSD, EPS): facts, thumbnails, hostile input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from models_media import gltf_pointing_at, huge_psd, ply_claiming, write_eps, write_models, write_psd

from mediamill.errors import BadInput, LimitExceeded
from mediamill.processors.assets.model_render import BACKGROUND
from mediamill.settings import Settings
from mediamill.testing import call_task


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    return write_models(tmp_path_factory.mktemp("models"))


def _pixels(ctx, result, tmp_path: Path) -> np.ndarray:
    import pyvips

    return pyvips.Image.new_from_file(str(ctx.store.copy_to(result["thumbnail"]["artifact"], tmp_path / "t.png"))).numpy()


@pytest.mark.parametrize("fmt", ["glb", "gltf", "obj", "stl", "ply"])
def test_model_facts(settings, models, fmt):
    facts, _ = call_task(settings, "asset.inspect", {}, [models[fmt]])
    model = facts["model"]
    assert facts["kind"] == "model" and facts["file_type"] == "MODEL_3D" and model["format"] == fmt
    assert model["faces"] == 332 and model["vertices"] >= 170
    # The 2 x 1 x 1 box and the r=0.6 sphere beside it at x=1.8: 3.4 wide, 1.2 high and deep.
    assert model["bounding_box"]["size"] == pytest.approx([3.4, 1.2, 1.2], abs=1e-3)
    assert model["units"] == ("meters" if fmt in ("glb", "gltf") else None)
    if fmt == "gltf":
        assert model["materials"] == ["paint"]


@pytest.mark.parametrize("fmt", ["glb", "obj", "stl", "ply"])
def test_model_thumbnail_is_a_lit_three_quarter_view(settings, models, fmt, tmp_path):
    result, ctx = call_task(settings, "asset.thumbnail", {"format": "png"}, [models[fmt]])
    assert result["file_type"] == "MODEL_3D" and (result["width"], result["height"]) == (200, 200)
    pixels = _pixels(ctx, result, tmp_path)[:, :, :3].astype(int)
    shape = np.abs(pixels - np.array(BACKGROUND)).sum(axis=2) > 30
    assert 0.15 < shape.mean() < 0.8  # the model fills a good part of the frame
    # Lit: the visible faces of the box get different amounts of light (three shades, not one flat colour).
    shades = np.unique((pixels[shape].mean(axis=1) // 12).astype(int))
    assert len(shades) >= 3


def test_models_that_would_read_outside_the_file_or_claim_too_much_are_refused(settings, tmp_path):
    for uri in ("file:///etc/passwd", "https://example.org/buffer.bin", "../secret.bin"):
        with pytest.raises(BadInput, match="points outside the file"):
            call_task(settings, "asset.inspect", {}, [gltf_pointing_at(tmp_path, uri)])
    with pytest.raises(LimitExceeded, match="100,000,000 vertices"):
        call_task(settings, "asset.thumbnail", {}, [ply_claiming(tmp_path, 100_000_000)])
    obj = tmp_path / "claims.obj"
    obj.write_bytes(b"".join(b"v %d 0 0\n" % i for i in range(3000)) + b"f 1 2 3\n")
    strict = Settings(data_dir=settings.data_dir, limits={"max_model_elements": 1000})
    with pytest.raises(LimitExceeded, match="3,000 vertices"):
        call_task(strict, "asset.inspect", {}, [obj])


def test_psd_facts_and_flattened_thumbnail(settings, tmp_path):
    psd = write_psd(tmp_path / "poster.psd")
    facts, _ = call_task(settings, "asset.inspect", {}, [psd])
    design = facts["design"]
    assert facts["file_type"] == "DESIGN" and (facts["width"], facts["height"]) == (320, 200)
    assert design["color_mode"] == "rgb" and design["layers"] == 2
    assert design["layer_names"] == ["Red half", "Blue half"]
    result, ctx = call_task(settings, "asset.thumbnail", {"crop": "none", "format": "png"}, [psd])
    pixels = _pixels(ctx, result, tmp_path)
    assert (result["width"], result["height"]) == (200, 125)
    assert pixels[60, 20, 0] > 180 and pixels[60, 180, 2] > 180  # red left, blue right


def test_a_huge_psd_canvas_is_refused_by_the_pixel_limit(settings, tmp_path):
    with pytest.raises(LimitExceeded, match="max_pixels"):
        call_task(settings, "asset.thumbnail", {}, [huge_psd(tmp_path / "huge.psd")])


def test_eps_is_described_but_never_rendered(settings, tmp_path):
    eps = write_eps(tmp_path / "logo.eps")
    facts, _ = call_task(settings, "asset.inspect", {}, [eps])
    assert facts["file_type"] == "DESIGN" and facts["design"]["width_pt"] == 144
    with pytest.raises(BadInput, match="Ghostscript"):
        call_task(settings, "asset.thumbnail", {}, [eps])

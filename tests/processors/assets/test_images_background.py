"""Background removal with the packaged u2netp model, measured by mask IoU on composites built here.

Each scene is a shaded object (known alpha) pasted over a backdrop: gradients, wood grain, sensor
noise, a checkerboard, a flat studio grey. The same scenes are cut by the border-colour method, so
the model is measured against the baseline it replaces.
"""

import numpy as np
import pytest

from mediamill.errors import BadInput
from mediamill.processors.images.background import foreground_mask
from mediamill.testing import call_task

H, W = 360, 480
COLOURS = {"ellipse": (200, 40, 40), "box": (30, 90, 200), "bottle": (20, 140, 60), "mug": (240, 200, 40)}


def backdrop(kind: str, rng) -> np.ndarray:
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    if kind == "gradient":
        return np.stack([90 + x / W * 100, 120 + y / H * 80, 170 - x / W * 60], -1)
    if kind == "wood":
        grain = np.sin(x / 7 + 3 * np.sin(y / 40)) * 25
        return np.stack([150 + grain, 110 + grain * 0.8, 70 + grain * 0.5], -1)
    if kind == "noise":
        return rng.normal(128, 40, (H, W, 1)).repeat(3, -1) * (1, 0.95, 0.9)
    if kind == "checker":
        tile = ((x // 40 + y // 40) % 2) * 60 + 120
        return np.stack([tile, tile, tile * 0.9], -1)
    return np.zeros((H, W, 3)) + (200, 205, 210)


def alpha(shape: str, dx: float) -> np.ndarray:
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    cy, cx = H / 2, W / 2 + dx
    if shape == "ellipse":
        return ((x - cx) / 120) ** 2 + ((y - cy) / 90) ** 2 < 1
    if shape == "box":
        return (abs(x - cx) < 80) & (abs(y - cy) < 110)
    if shape == "bottle":
        return (((abs(x - cx) < 50) & (y > cy - 60) & (y < cy + 130))
                | ((abs(x - cx) < 18) & (y > cy - 140) & (y <= cy - 60)))
    body = (((x - cx) / 90) ** 2 + ((y - cy - 20) / 100) ** 2 < 1) & (y > cy - 60)
    ring = ((x - cx - 95) / 40) ** 2 + ((y - cy) / 35) ** 2 < 1
    hole = ((x - cx - 95) / 22) ** 2 + ((y - cy) / 18) ** 2 < 1
    return body | (ring & ~hole)


def composite(shape: str, kind: str, rng, dx: float = 0.0):
    """(sRGB vips image, boolean alpha) of a front-lit object over a backdrop."""
    import pyvips

    keep = alpha(shape, dx)
    x = np.mgrid[0:H, 0:W][1].astype(np.float32)
    lit = np.array(COLOURS[shape], np.float32) * (0.6 + 0.4 * np.cos((x - W / 2 - dx) / 150))[..., None]
    pixels = backdrop(kind, rng)
    pixels[keep] = lit[keep]
    image = pyvips.Image.new_from_array(np.clip(pixels, 0, 255).astype(np.uint8), interpretation="srgb")
    return image, keep


def iou(mask, truth: np.ndarray) -> float:
    found = mask.numpy() > 127
    return float((found & truth).sum() / (found | truth).sum())


def test_model_mask_iou_beats_the_border_method():
    rng = np.random.default_rng(7)
    model, border = [], []
    for index, kind in enumerate(["gradient", "wood", "noise", "checker", "flat"]):
        for shape in COLOURS:
            image, truth = composite(shape, kind, rng, dx=(index - 2) * 20)
            model.append(iou(foreground_mask(image, "model")[0], truth))
            border.append(iou(foreground_mask(image, "border")[0], truth))
    print(f"mask IoU over {len(model)} composites: u2netp {np.mean(model):.3f} (min {min(model):.3f}), "
          f"border colour {np.mean(border):.3f} (min {min(border):.3f})")
    assert np.mean(model) >= 0.85 and min(model) >= 0.7
    assert np.mean(model) > np.mean(border) + 0.05


@pytest.fixture
def product_on_gradient(tmp_path):
    image, truth = composite("bottle", "gradient", np.random.default_rng(3))
    path = tmp_path / "bottle.png"
    image.pngsave(str(path))
    return path, truth


def _decoded(ctx, ref, tmp_path):
    import pyvips

    return pyvips.Image.new_from_file(str(ctx.store.copy_to(ref["artifact"], tmp_path / "out.bin")))


def test_enhance_offline_cuts_out_with_the_model(settings, product_on_gradient, tmp_path):
    path, truth = product_on_gradient
    params = {"count": 1, "clean_background": True, "background": "transparent", "generative": "off"}
    result, ctx = call_task(settings, "image.enhance", params, [path])
    version = result["versions"][0]
    assert version["background_method"] == "u2netp" and version["mask_confidence"] > 0.9
    assert version["background_replaced"] == pytest.approx(1 - truth.mean(), abs=0.03)
    out = _decoded(ctx, version["artifact"], tmp_path)
    assert out.bands == 4 and iou(out[3], truth) > 0.9
    white, _ = call_task(settings, "image.enhance", {**params, "background": "white"}, [path])
    pixels = _decoded(ctx, white["versions"][0]["artifact"], tmp_path).numpy()
    assert pixels[~truth].mean() > 235 and pixels[truth].mean() < 150  # gradient gone, bottle kept


def test_enhance_generative_also_cleans_the_background(settings, product_on_gradient, images_api,
                                                        tmp_path):
    path, truth = product_on_gradient
    images_api.png = path.read_bytes()  # the edit API answers with the same scene
    params = {"count": 1, "clean_background": True, "background": "transparent"}
    result, ctx = call_task(settings, "image.enhance", params, [path])
    version = result["versions"][0]
    assert result["mode"] == "generative" and version["background_method"] == "u2netp"
    assert version["operations"] == ["generative_edit", "clean_background"]
    assert iou(_decoded(ctx, version["artifact"], tmp_path)[3], truth) > 0.9


@pytest.mark.parametrize("kind", ["blank", "noise"])
def test_nothing_salient_is_bad_input(settings, tmp_path, kind):
    import pyvips

    rng = np.random.default_rng(1)
    pixels = np.full((H, W, 3), 128, np.uint8) if kind == "blank" else rng.integers(0, 256, (H, W, 3), np.uint8)
    path = tmp_path / f"{kind}.png"
    pyvips.Image.new_from_array(pixels, interpretation="srgb").pngsave(str(path))
    with pytest.raises(BadInput, match="nothing salient") as caught:
        call_task(settings, "image.enhance", {"clean_background": True, "generative": "off"}, [path])
    assert caught.value.field == "inputs"

"""Mask IoU of the u2netp cutout on composites made of real photographs (scikit-image's bundled,
licensed set), beside the border-colour method on the same scenes.

Foregrounds with a known alpha: the horse silhouette (CC0 clip art) filled with the chelsea photo,
a round crop of the coffee photo (a cup), a rectangular print of the astronaut photo, and the
scikit-image logo (its own alpha). Backgrounds: grass, gravel and brick textures (grey, tinted),
and real scenes: motorcycle_left (a busy workshop with its own salient object), rocket, hubble.
"""

import numpy as np
import pytest
from photos_media import photo

from mediamill.processors.images.background import foreground_mask

H, W = 360, 480
TINTS = {"grass": (0.8, 1.0, 0.7), "gravel": (1.0, 0.95, 0.85), "brick": (1.05, 0.75, 0.6)}
BACKGROUNDS = ("grass", "gravel", "brick", "motorcycle_left", "rocket", "hubble_deep_field")
FOREGROUNDS = ("horse", "cup", "print", "logo")


def covering(image, width: int = W, height: int = H) -> np.ndarray:
    """The image scaled to cover width x height, centre-cropped, as float RGB."""
    image = image.resize(max(width / image.width, height / image.height))
    pixels = image.crop((image.width - width) // 2, (image.height - height) // 2, width, height).numpy()
    return np.atleast_3d(pixels).astype(np.float32)


def background(name: str) -> np.ndarray:
    pixels = covering(photo(name))
    return pixels.repeat(3, -1) * TINTS[name] if pixels.shape[2] == 1 else pixels[..., :3]


def centred(mask: np.ndarray) -> np.ndarray:
    out = np.zeros((H, W), bool)
    top, left = (H - mask.shape[0]) // 2, (W - mask.shape[1]) // 2
    out[top:top + mask.shape[0], left:left + mask.shape[1]] = mask
    return out


def foreground(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(known alpha, RGB pixels of the object wherever the alpha is set)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    if name == "horse":
        art = photo("horse").resize(0.8).numpy()
        return centred((art[..., 3] > 127) & (art[..., :3].mean(-1) < 128)), covering(photo("chelsea"))
    if name == "cup":
        return ((x - W / 2) / 130) ** 2 + ((y - H / 2) / 120) ** 2 < 1, covering(photo("coffee").crop(0, 0, 400, 400))
    if name == "print":
        return (abs(x - W / 2) < 110) & (abs(y - H / 2) < 140), covering(photo("astronaut"))
    logo = photo("logo").resize(0.6).numpy()
    pixels = np.zeros((H, W, 3), np.float32)
    top, left = (H - logo.shape[0]) // 2, (W - logo.shape[1]) // 2
    pixels[top:top + logo.shape[0], left:left + logo.shape[1]] = logo[..., :3]
    return centred(logo[..., 3] > 127), pixels


def scene(fg: str, bg: str):
    import pyvips

    keep, pixels = foreground(fg)
    out = background(bg)
    out[keep] = pixels[keep]
    return pyvips.Image.new_from_array(np.clip(out, 0, 255).astype(np.uint8), interpretation="srgb"), keep


def iou(mask, truth: np.ndarray) -> float:
    found = mask.numpy() > 127
    return float((found & truth).sum() / (found | truth).sum())


@pytest.mark.slow  # 48 segmentations, ~10-30 s on a loaded 2-core machine
def test_real_photo_composites_model_iou_beats_the_border_method():
    rows = {}
    for fg in FOREGROUNDS:
        for bg in BACKGROUNDS:
            image, truth = scene(fg, bg)
            rows[fg, bg] = (iou(foreground_mask(image, "model")[0], truth),
                            iou(foreground_mask(image, "border")[0], truth))
    for (fg, bg), (model, border) in rows.items():
        print(f"{fg:6s} on {bg:18s} IoU u2netp {model:.3f}  border {border:.3f}")
    model = [m for m, _ in rows.values()]
    border = [b for _, b in rows.values()]
    print(f"mask IoU over {len(model)} real-photo composites: u2netp {np.mean(model):.3f} "
          f"(min {min(model):.3f}), border colour {np.mean(border):.3f} (min {min(border):.3f})")
    assert np.mean(model) >= 0.85
    assert np.mean(model) > np.mean(border) + 0.1
    # The objects the model is made for (one object, a plain or textured ground) are cut well.
    assert min(rows[fg, bg][0] for fg in ("horse", "cup") for bg in ("grass", "gravel", "rocket")) >= 0.9

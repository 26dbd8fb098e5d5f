"""Clean background: replace everything but the salient object with a colour or with transparency.

Two ways to find the object:
- "model" (default): u2netp, a salient-object segmentation network shipped inside a PyPI wheel
  (see `segment.py`); handles gradients, textures and backdrops that touch the object.
- "border": no model, key out the backdrop colour connected to the picture's border. Kept as the
  baseline the model is measured against, and for roughly uniform studio backdrops.
"""

from __future__ import annotations

from mediamill.errors import BadInput
from mediamill.processors.assets._vips import vips
from mediamill.processors.images.segment import salient_mask

BORDER = 4          # pixels of the border sampled for the backdrop colour
TOLERANCE = 18.0    # CIE dE76 distance still counted as backdrop
FEATHER_SIGMA = 1.2


def backdrop_mask(image):
    """A 0..255 mask (255 = backdrop) of pixels close to the border colour and connected to the border."""
    import numpy as np

    pyvips = vips()
    rgb = image[:3] if image.bands >= 3 else image.colourspace("srgb")
    # Judge smoothed colours: sensor noise and JPEG speckle must not punch holes in the backdrop.
    lab = rgb.median(5).colourspace("lab")
    array = lab.numpy()
    height, width = array.shape[:2]
    ring = np.concatenate([array[:BORDER].reshape(-1, 3), array[-BORDER:].reshape(-1, 3),
                           array[:, :BORDER].reshape(-1, 3), array[:, -BORDER:].reshape(-1, 3)])
    colour = np.median(ring, axis=0)
    close = (np.linalg.norm(array - colour, axis=2) < TOLERANCE).astype(np.uint8) * 255
    labels = pyvips.Image.new_from_array(close).labelregions().numpy()
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    edge_close = np.concatenate([close[0], close[-1], close[:, 0], close[:, -1]]) > 0
    connected = np.isin(labels, np.unique(edge[edge_close]))
    mask = (connected & (close > 0)).astype(np.uint8) * 255
    return pyvips.Image.new_from_array(mask).gaussblur(FEATHER_SIGMA).cast("uchar"), float(mask.mean() / 255)


def foreground_mask(image, method: str = "model"):
    """(0..255 mask, 255 = the object to keep; facts about how it was found)."""
    if method == "model":
        mask, confidence = salient_mask(image)
        return mask, {"background_method": "u2netp", "mask_confidence": round(confidence, 3)}
    if method == "border":
        backdrop, _ = backdrop_mask(image)
        return backdrop.invert(), {"background_method": "border-colour"}
    raise BadInput(f"unknown background method {method!r} (model or border)", field="params.background_method")


def clean_background(image, colour: tuple[int, int, int] = (255, 255, 255), transparent: bool = False,
                     method: str = "model"):
    """(image with the backdrop replaced by `colour` or made transparent, facts incl. the fraction replaced)."""
    rgb = image[:3]
    keep, facts = foreground_mask(rgb, method)
    mask = keep.invert()
    fraction = float(mask.avg() / 255)
    facts = {**facts, "background_replaced": round(fraction, 3)}
    if transparent:
        return rgb.bandjoin(keep).copy(interpretation="srgb"), facts
    weight = mask / 255.0
    flat = rgb.new_from_image(list(colour))
    return (rgb * (1 - weight) + flat * weight).cast("uchar").copy(interpretation="srgb"), facts

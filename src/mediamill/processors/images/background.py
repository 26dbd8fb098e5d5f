"""Clean background without a model: key out the backdrop colour connected to the picture's border.

Works for what product photos usually are (an object on a roughly uniform backdrop). No PyPI
package was found that ships background-removal weights inside its wheel (rembg,
backgroundremover, carvekit, transparent-background download them at first use, which mediamill
forbids), so this classical method is the offline option.
"""

from __future__ import annotations

from mediamill.processors.assets._vips import vips

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


def clean_background(image, colour: tuple[int, int, int] = (255, 255, 255), transparent: bool = False):
    """(image with the backdrop replaced by `colour` or made transparent, fraction of area replaced)."""
    rgb = image[:3]
    mask, fraction = backdrop_mask(rgb)
    if transparent:
        return rgb.bandjoin(mask.invert()).copy(interpretation="srgb"), fraction
    weight = mask / 255.0
    flat = rgb.new_from_image(list(colour))
    return (rgb * (1 - weight) + flat * weight).cast("uchar").copy(interpretation="srgb"), fraction

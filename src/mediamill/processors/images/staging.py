"""Staging a cut-out object: trimmed to its bounds, and placed on a flat backdrop with a soft shadow.

All of it is classical compositing on the mask the model found (see `segment.py`): the shadow is the
object's own silhouette, blurred, pushed down a little and darkening the backdrop, as a softbox above
the product would cast it.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediamill.errors import BadInput
from mediamill.processors.assets._vips import vips

# A mask pixel at or above this is counted as the object when measuring its bounds and area.
SOLID = 128
# Fewer object pixels than this share of the picture is an empty mask, not a product.
MIN_AREA = 0.002
EDGE_SOLID = 240         # mask values from here on are the object itself; below, a blend with the backdrop
EDGE_SIGMA = 3.0        # how far (pixels) solid colour is pulled out over the soft edge
SHADOW_BLUR = 0.04      # blur sigma, as a share of the object's longer side
SHADOW_DROP = 0.04      # how far down the shadow falls, as a share of the object's height


@dataclass(frozen=True)
class Bounds:
    left: int
    top: int
    width: int
    height: int



def object_bounds(mask) -> tuple[Bounds, float]:
    """(bounding box of the object's solid pixels, their share of the picture).

    An empty mask is BadInput: there is nothing to cut out, and a crop of nothing is not a result.
    """
    solid = mask >= SOLID
    area = float(solid.avg() / 255)
    if area < MIN_AREA:
        raise BadInput(f"the mask is empty ({area:.2%} of the picture is the object, under {MIN_AREA:.1%}): "
                       "nothing salient to cut out", field="inputs")
    # find_trim looks for pixels that differ from the background value (0 here) by more than threshold.
    left, top, width, height = solid.find_trim(threshold=1, background=[0])
    return Bounds(left, top, width, height), area


def decontaminated(rgb, mask):
    """`rgb` with the object's soft edge recoloured from the object's own solid pixels nearby.

    An edge pixel of a soft mask is a blend of object and old backdrop; kept as is, it draws a halo of
    the old backdrop's colour round the object on any new one. Averaging only solid object pixels
    (a normalised blur) pulls the object's colour out over that edge instead.
    """
    pyvips = vips()
    solid = (mask >= EDGE_SOLID).ifthenelse(1.0, 0.0)
    spread = solid.gaussblur(EDGE_SIGMA)
    pulled = (rgb.cast("float") * solid).gaussblur(EDGE_SIGMA) / (spread + 1e-6)
    edge = (mask < EDGE_SOLID) & (spread > 1e-3)
    return edge.ifthenelse(pulled, rgb).cast(pyvips.BandFormat.UCHAR)


def trimmed(rgb, mask, bounds: Bounds, margin: float):
    """RGBA of the object alone: cropped to `bounds`, then `margin` x its longer side of transparent room
    on every edge (added, not cropped from the picture: an object touching the border still gets it)."""
    cut = decontaminated(rgb, mask).bandjoin(mask).crop(bounds.left, bounds.top, bounds.width, bounds.height)
    pad = round(margin * max(bounds.width, bounds.height))
    if pad:
        cut = cut.embed(pad, pad, cut.width + 2 * pad, cut.height + 2 * pad, extend="black")
    return cut.copy(interpretation="srgb")


def parse_colour(value: str) -> tuple[int, int, int]:
    """`#rrggbb` -> (r, g, b); the params' pattern has already checked the form."""
    return tuple(int(value[index:index + 2], 16) for index in (1, 3, 5))


def on_backdrop(cutout, colour: tuple[int, int, int], shadow: float):
    """The RGBA `cutout` over a flat `colour` canvas of its own size, with a soft shadow of `shadow` opacity.

    The cutout should carry room around the object (see `trimmed`) for the shadow to fall into.
    """
    pyvips = vips()
    rgb, alpha = cutout[:3], cutout[3]
    canvas = rgb.new_from_image(list(colour)).cast("float")
    if shadow > 0:
        side = max(cutout.width, cutout.height)
        drop = max(1, round(SHADOW_DROP * cutout.height))
        # Shift the silhouette down (embed keeps the size; the top rows become empty), then blur it.
        moved = alpha.embed(0, drop, alpha.width, alpha.height, extend="black")
        soft = moved.gaussblur(max(1.0, SHADOW_BLUR * side)) / 255.0 * shadow
        canvas = canvas * (1 - soft)
    weight = alpha / 255.0
    out = rgb.cast("float") * weight + canvas * (1 - weight)
    return out.cast(pyvips.BandFormat.UCHAR).copy(interpretation="srgb")

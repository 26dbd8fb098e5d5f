"""Offline photo enhancement operations on pyvips images (8-bit sRGB in, 8-bit sRGB out).

Each function takes the image and a strength in [0, 1] and returns a new lazy image; a recipe in
enhance.py chains them. They are classic darkroom steps: no model, no network.
"""

from __future__ import annotations

from mediamill.processors.assets._vips import vips


def _split_alpha(image):
    if image.hasalpha():
        return image[: image.bands - 1], image[image.bands - 1]
    return image, None


def _join_alpha(image, alpha):
    return image.bandjoin(alpha) if alpha is not None else image


def auto_levels(image, strength: float = 1.0, clip: float = 0.005, max_gain: float = 2.0):
    """Stretch luminance so the darkest/brightest `clip` of pixels reach black/white (hue kept).

    The gain is capped: a flat, noisy photo stretched 4x mostly shows its noise.
    """
    rgb, alpha = _split_alpha(image)
    luma = rgb.colourspace("b-w")
    low, high = luma.percent(100 * clip), luma.percent(100 * (1 - clip))
    if high - low < 8:  # a flat picture: stretching would only amplify noise
        return image
    gain = min(max_gain, 255 / (high - low))
    # Keep the stretched range centred where the old one was when the gain is capped.
    offset = (low + high) / 2 - 127.5 / gain
    stretched = (rgb - max(0.0, min(low, offset))) * gain
    out = rgb * (1 - strength) + stretched * strength
    return _join_alpha(out.cast("uchar"), alpha)


def white_balance(image, strength: float = 1.0, max_gain: float = 1.4):
    """Grey-world white balance: scale R, G and B so their means meet (gain capped both ways)."""
    rgb, alpha = _split_alpha(image)
    means = [rgb[band].avg() for band in range(3)]
    grey = sum(means) / 3
    gains = [min(max_gain, max(1 / max_gain, grey / m)) if m > 1 else 1.0 for m in means]
    gains = [1 + (g - 1) * strength for g in gains]
    return _join_alpha((rgb * gains).cast("uchar"), alpha)


def denoise(image, strength: float = 1.0):
    """A 3x3 median (speckle and JPEG mosquito noise) blended by strength."""
    rgb, alpha = _split_alpha(image)
    smooth = rgb.median(3)
    return _join_alpha((rgb * (1 - strength) + smooth * strength).cast("uchar"), alpha)


def local_contrast(image, strength: float = 1.0, tile: int = 64, max_slope: float = 3.0):
    """CLAHE-like: contrast-limited local histogram equalisation of L* only (colours untouched)."""
    rgb, alpha = _split_alpha(image)
    lab = rgb.colourspace("lab")
    lightness = (lab[0] * 2.55).cast("uchar")
    size = max(8, min(tile, rgb.width // 4, rgb.height // 4))
    equalised = lightness.hist_local(size, size, max_slope=max_slope)
    mixed = (lightness * (1 - strength) + equalised * strength) / 2.55
    out = mixed.bandjoin(lab[1:]).copy(interpretation="lab").colourspace("srgb")
    return _join_alpha(out.cast("uchar"), alpha)


def sharpen(image, strength: float = 1.0, sigma: float = 1.5):
    """Unsharp mask: add back `amount` times the detail a Gaussian blur removes (amount up to 1.2)."""
    if strength <= 0:
        return image
    rgb, alpha = _split_alpha(image)
    detail = rgb.cast("float") - rgb.gaussblur(sigma, precision="float")
    out = rgb + detail * (1.2 * strength)
    return _join_alpha(out.cast("uchar"), alpha)


def saturate(image, strength: float = 1.0, boost: float = 0.25):
    """Chroma boost in LCh (a gentle "vivid" look)."""
    rgb, alpha = _split_alpha(image)
    lch = rgb.colourspace("lch")
    out = lch * [1, 1 + boost * strength, 1]
    out = out.copy(interpretation="lch").colourspace("srgb")
    return _join_alpha(out.cast("uchar"), alpha)


def upscale(image, scale: int = 2, strength: float = 0.3):
    """Lanczos-3 enlargement, then an unsharp mask of `strength` (classical, not a super-resolution
    model; image.upscale and image.enhance's upscale both use it)."""
    bigger = image.resize(scale, kernel="lanczos3")
    return sharpen(bigger, strength) if strength > 0 else bigger


def to_working(image):
    """Any loaded image as 8-bit sRGB (alpha kept), the form every operation expects."""
    pyvips = vips()
    if image.interpretation != "srgb" or image.format != "uchar":
        image = image.colourspace("srgb")
    return image.cast(pyvips.BandFormat.UCHAR) if image.format != "uchar" else image

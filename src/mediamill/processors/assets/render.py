"""Any input with a picture (image, SVG, video, audio, PDF) scaled into a box, with shrink-on-load and limits first.

Images are shrunk while they are read: a JPEG by up to 8x in the DCT (`jpeg_shrink`, the factor
sharp uses), other formats through `pyvips.Image.thumbnail` from the file (WebP/HEIF/PDF-like
formats at load), so a 12000x12000 JPEG never exists in memory at full size. EXIF orientation is
applied, and colour ends in sRGB.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from mediamill.errors import BadInput
from mediamill.processors.assets import design, models, office_render
from mediamill.processors.assets._vips import vips
from mediamill.processors.assets.audio_picture import audio_picture, has_real_video
from mediamill.processors.assets.kinds import Kind
from mediamill.processors.assets.limits import check_image_header
from mediamill.processors.assets.model_render import three_quarter_view
from mediamill.processors.assets.pillow_fallback import load_with_pillow, needs_pillow
from mediamill.processors.assets.svg import check_svg
from mediamill.security import Limits

Crop = Literal["attention", "centre", "none"]


@dataclass(frozen=True)
class Box:
    width: int
    height: int
    crop: Crop = "none"
    upscale: bool = False

    def options(self) -> dict:
        options = {"height": self.height, "size": "both" if self.upscale else "down"}
        if self.crop != "none":
            options["crop"] = self.crop
        return options


def image_header(path: Path, limits: Limits):
    """The lazily opened image (header read, no pixels decoded), checked against the limits."""
    image = vips().Image.new_from_file(str(path))
    frames = image.get("n-pages") if image.get_typeof("n-pages") else 1
    # For multi-page formats the header height may be one page; that is what gets decoded.
    check_image_header(image.width, image.height, limits, frames=frames, use="thumbnail")
    return image


def jpeg_shrink(header, box: Box) -> int:
    """The JPEG shrink-on-load factor (1, 2, 4 or 8) that still leaves at least the box's pixels.

    `Image.thumbnail` keeps a further 2x for its resize (it decodes a 4000x3000 JPEG at 1/4 for a
    200x200 box); sharp's default (fastShrinkOnLoad) decodes at the full factor, here 1/8. That
    decode and resize of 4x the pixels was the gap to sharp (~10% of a thumbnail's CPU), for no
    visible difference at thumbnail sizes, so it is done the same way here.
    """
    width, height = header.width, header.height
    orientation = header.get("orientation") if header.get_typeof("orientation") else 1
    if orientation in (5, 6, 7, 8):  # the box applies to the image turned upright
        width, height = height, width
    scales = (box.width / width, box.height / height)
    scale = max(scales) if box.crop != "none" else min(scales)
    for factor in (8, 4, 2):
        if scale * factor <= 1:
            return factor
    return 1


def refine(path: Path, kind: Kind) -> Kind:
    """The sniffed kind, corrected where bytes alone mislead: an MP4 or Matroska with no video but
    cover art (an .m4a) is audio."""
    if kind.kind == "video" and not has_real_video(path):
        return Kind("audio", "audio/" + kind.mime.split("/", 1)[1])
    return kind


def fit(path: Path, kind: Kind, box: Box, limits: Limits):
    """A pyvips image of the input scaled into `box` (lazy: pixels flow when it is saved)."""
    pyvips = vips()
    if kind.kind == "image":
        if needs_pillow(path, kind.mime):
            return load_with_pillow(path, limits)[0].thumbnail_image(box.width, **box.options())
        header = image_header(path, limits)
        # An ICC transform only where there is something to convert: for a plain sRGB JPEG without a
        # profile it is a no-op that cost ~6% of thumbnail time (measured against sharp's pipeline).
        manage = header.get_typeof("icc-profile-data") != 0 or header.interpretation == "cmyk"
        profile = {"output_profile": "srgb"} if manage else {}
        shrink = jpeg_shrink(header, box) if kind.mime == "image/jpeg" else 1
        if shrink > 1:
            loaded = pyvips.Image.new_from_file(str(path), shrink=shrink, access="sequential", fail_on="truncated")
            return loaded.thumbnail_image(box.width, **profile, **box.options())
        return pyvips.Image.thumbnail(str(path), box.width, fail_on="truncated", **profile, **box.options())
    if kind.kind == "svg":
        data = path.read_bytes()
        check_svg(data)
        declared = pyvips.Image.svgload_buffer(data)
        check_image_header(declared.width, declared.height, limits, what="SVG", use="thumbnail")
        return pyvips.Image.thumbnail_buffer(data, box.width, **box.options())
    if kind.kind == "audio":
        picture, _ = audio_picture(path, limits, box.width, box.height)
        return picture.thumbnail_image(box.width, **box.options())
    if kind.kind == "video":
        from mediamill.processors.assets.video_frame import representative_frame

        frame = pyvips.Image.new_from_array(representative_frame(path, limits), interpretation="srgb")
        return frame.thumbnail_image(box.width, **box.options())
    if kind.kind == "pdf":
        from mediamill.processors.assets.pdf_page import render_first_page

        page = render_first_page(path, 2 * max(box.width, box.height))
        image = pyvips.Image.new_from_array(np.asarray(page), interpretation="srgb")
        return image.thumbnail_image(box.width, **box.options())
    if kind.kind == "document" or (kind.kind == "text" and kind.mime.startswith("text/")):
        page = office_render.render_first_page(path, kind, limits)
        return page.thumbnail_image(box.width, **box.options())
    if kind.kind == "model":
        found = models.declared(path, kind.mime, limits)
        mesh = models.load_mesh(path, found)
        side = 2 * max(box.width, box.height) if box.crop != "none" else max(box.width, box.height)
        view = three_quarter_view(np.asarray(mesh.vertices, dtype=float), np.asarray(mesh.faces), side, side)
        return pyvips.Image.new_from_array(view, interpretation="srgb").thumbnail_image(box.width, **box.options())
    if kind.kind == "design":
        return _design_picture(path, kind, box, limits)
    if kind.kind == "empty":
        raise BadInput("the input is empty (0 bytes)", field="inputs")
    raise BadInput(f"cannot make a picture of {kind.mime} content (not an image, SVG, video, audio, PDF or document)",
                   field="inputs")


def _design_picture(path: Path, kind: Kind, box: Box, limits: Limits):
    pyvips = vips()
    if kind.mime == design.PSD_MIME:
        flat = design.psd_flattened(path, limits)
        return pyvips.Image.new_from_array(flat, interpretation="srgb").thumbnail_image(box.width, **box.options())
    if kind.mime == design.AI_MIME:
        return fit(path, Kind("pdf", "application/pdf"), box, limits)
    raise BadInput("EPS is not rendered: it is a PostScript program, and running Ghostscript on untrusted "
                   "input is not safe; inspect reports its bounding box", field="inputs")

"""Rendering the first page of a PDF with PDFium (pypdfium2: the engine of Chrome, in the wheel)."""

from __future__ import annotations

from pathlib import Path

from mediamill.errors import BadInput

POINTS_PER_INCH = 72
# Never render a page larger than this many pixels on its long side, whatever is asked.
MAX_RENDER_SIDE = 4096


def render_first_page(path: Path, long_side: int):
    """An RGB PIL image of page 1 whose longer side is about `long_side` pixels."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        if len(pdf) == 0:
            raise BadInput("the PDF has no pages", field="inputs")
        page = pdf[0]
        width_pt, height_pt = page.get_size()
        if width_pt <= 0 or height_pt <= 0:
            raise BadInput("the PDF's first page has no size", field="inputs")
        scale = min(long_side, MAX_RENDER_SIDE) / max(width_pt, height_pt)
        bitmap = page.render(scale=scale, fill_color=(255, 255, 255, 255))
        return bitmap.to_pil().convert("RGB")
    finally:
        pdf.close()

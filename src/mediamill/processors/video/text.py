"""Text for video frames drawn with Pillow: fonts from the Noto/DejaVu packages, wrapping, boxes."""

from __future__ import annotations

from functools import cache

FONT_FILES = {
    True: ("/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    False: ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
}


@cache
def font(size: int, bold: bool = True):
    from PIL import ImageFont

    for path in FONT_FILES[bold]:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)  # set-up installs the Noto fonts; this keeps a bare machine working


def rgba(color: str) -> tuple[int, int, int, int]:
    value = color.lstrip("#")
    alpha = int(value[6:8], 16) if len(value) == 8 else 255
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), alpha


def wrap(words: list[str], fnt, max_width: float) -> list[list[str]]:
    """Greedy line breaking by measured width (a single over-long word gets a line of its own)."""
    lines: list[list[str]] = []
    current: list[str] = []
    for word in words:
        trial = " ".join([*current, word])
        if current and fnt.getlength(trial) > max_width:
            lines.append(current)
            current = [word]
        else:
            current.append(word)
    if current:
        lines.append(current)
    return lines


def text_block(text: str, style, max_width: int):
    """An RGBA image of wrapped text in `style` (a TextStyle), with its optional box."""
    from PIL import Image, ImageDraw

    fnt = font(style.font_size, style.bold)
    lines = [line for paragraph in text.split("\n") for line in (wrap(paragraph.split(), fnt, max_width) or [[]])]
    line_height = int(style.font_size * style.line_spacing)
    pad = int(style.font_size * 0.5) if style.box_color else style.stroke_width
    widths = [fnt.getlength(" ".join(line)) for line in lines]
    width = int(min(max_width, max(widths or [1]))) + 2 * pad + 2 * style.stroke_width
    height = line_height * len(lines) + 2 * pad
    image = Image.new("RGBA", (max(width, 1), max(height, 1)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if style.box_color:
        draw.rounded_rectangle([0, 0, width - 1, height - 1], radius=pad, fill=rgba(style.box_color))
    for index, (line, line_width) in enumerate(zip(lines, widths, strict=True)):
        x = {"left": pad, "center": (width - line_width) / 2, "right": width - pad - line_width}[style.align]
        y = pad + index * line_height + line_height / 2
        draw.text((x, y), " ".join(line), font=fnt, fill=rgba(style.color), anchor="lm",
                  stroke_width=style.stroke_width, stroke_fill=rgba(style.stroke_color))
    return image

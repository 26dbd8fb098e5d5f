"""Burned-in captions: SRT/VTT or word-timing JSON -> pages of words -> one PNG per state -> an ffconcat track.

Every caption state (a page, or a page with one word highlighted) is drawn once with Pillow into a
transparent band as wide as the frame; ffmpeg's concat demuxer plays them as one stream with their
durations, and a single overlay burns that stream in. This costs one overlay per frame however many
words there are (one overlay per word, each with enable=between(...), made the graph crawl).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from mediamill.errors import BadInput
from mediamill.processors.video.text import font, rgba, wrap

_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{1,3})")
SENTENCE_END = (".", "!", "?", "…")
MAX_GAP_S = 0.6  # a pause longer than this starts a new caption page
LINGER_S = 0.4  # a page of timed words stays this long after its last word (if the next one allows)


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    cue: int | None = None  # SRT/VTT cue it came from: a cue boundary is a page boundary


def load_words(path: Path, field: str) -> list[Word]:
    """Word timings from word JSON, or from SRT/VTT cues (timed across each cue by word length)."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (UnicodeDecodeError, OSError) as exc:
        raise BadInput(f"{field}: not a UTF-8 text file ({exc})", field=field) from None
    stripped = raw.lstrip()
    words = _json_words(raw, field) if stripped.startswith(("{", "[")) else _cue_words(raw, field)
    words = sorted((w for w in words if w.text.strip() and w.end > w.start), key=lambda w: w.start)
    if not words:
        raise BadInput(f"{field}: no timed words found (expected SRT, VTT or word JSON)", field=field)
    return words


def _json_words(raw: str, field: str) -> list[Word]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{field}: invalid JSON ({exc.msg} at line {exc.lineno})", field=field) from None
    if isinstance(data, dict):
        if "words" in data:
            data = data["words"]
        elif "segments" in data:
            items = []
            for segment in data["segments"]:
                items.extend(segment.get("words") or [{"text": segment.get("text", ""), "start": segment.get("start"),
                                                       "end": segment.get("end"), "_cue": True}])
            data = items
    if not isinstance(data, list):
        raise BadInput(f"{field}: expected a list of words, or an object with 'words' or 'segments'", field=field)
    words: list[Word] = []
    for index, item in enumerate(data):
        try:
            text = str(item.get("word", item.get("text", ""))).strip()
            start, end = float(item["start"]), float(item["end"])
        except (AttributeError, KeyError, TypeError, ValueError):
            raise BadInput(f"{field}[{index}]: needs 'word' (or 'text'), 'start' and 'end'", field=field) from None
        words.extend(_spread(text, start, end, index) if item.get("_cue") else [Word(text, start, end)])
    return words


def _cue_words(raw: str, field: str) -> list[Word]:
    words: list[Word] = []
    for block in re.split(r"\n\s*\n", raw.replace("\r\n", "\n")):
        lines = [line for line in block.strip().split("\n") if line.strip()]
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        left, right = lines[timing].split("-->", 1)
        start, end = _seconds(left, field), _seconds(right, field)
        text = " ".join(re.sub(r"<[^>]+>", "", line) for line in lines[timing + 1:])
        words.extend(_spread(text, start, end, len(words)))
    return words


def _seconds(value: str, field: str) -> float:
    match = _TIME.search(value)
    if not match:
        raise BadInput(f"{field}: bad cue time {value.strip()!r}", field=field)
    hours, minutes, seconds, millis = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis.ljust(3, "0")) / 1000


def _spread(text: str, start: float, end: float, cue: int | None = None) -> list[Word]:
    """A cue's words timed in proportion to their length (cues carry no word timings)."""
    tokens = text.split()
    total = sum(len(t) + 1 for t in tokens) or 1
    words, cursor = [], start
    for token in tokens:
        span = (end - start) * (len(token) + 1) / total
        words.append(Word(token, cursor, cursor + span, cue))
        cursor += span
    return words


def paginate(words: list[Word], style, width: int) -> list[list[Word]]:
    """Group words into pages that fit max_lines lines, breaking at pauses and sentence ends."""
    fnt = font(style.font_size, True)
    max_width = min(width * 0.88, fnt.getlength("n" * style.max_chars_per_line))
    pages: list[list[Word]] = []
    page: list[Word] = []
    for word in words:
        candidate = [*page, word]
        too_long = len(wrap([_text(w, style) for w in candidate], fnt, max_width)) > style.max_lines
        paused = page and word.start - page[-1].end > MAX_GAP_S
        new_cue = page and word.cue is not None and word.cue != page[-1].cue
        if page and (too_long or paused or new_cue):
            pages.append(page)
            candidate = [word]
        page = candidate
        if len(page) >= 3 and word.text.endswith(SENTENCE_END):
            pages.append(page)
            page = []
    if page:
        pages.append(page)
    return pages


def _text(word: Word, style) -> str:
    return word.text.upper() if style.uppercase else word.text


@dataclass
class CaptionTrack:
    concat: Path  # the ffconcat script
    y: int  # where the band goes on the frame
    states: int  # how many caption images were drawn
    spans: list[tuple[float, float]]  # when some caption is on screen (for tests and metadata)


def build_track(words: list[Word], captions, width: int, height: int, total: float, scratch: Path) -> CaptionTrack:
    """Draw every caption state and write the ffconcat script that times them."""
    style = captions.style
    shifted = [Word(w.text, w.start + captions.offset, w.end + captions.offset, w.cue) for w in words]
    pages = paginate([w for w in shifted if w.end > 0 and w.start < total], style, width)
    band_height = int(style.font_size * 1.3 * style.max_lines + style.font_size)
    y = {"top": int(height * style.margin), "center": (height - band_height) // 2,
         "bottom": height - int(height * style.margin) - band_height}[style.position]
    entries: list[tuple[Path, float, float]] = []
    for page_index, page in enumerate(pages):
        page_end = page[-1].end + (LINGER_S if page[-1].cue is None else 0.0)  # a cue's end is exact
        if page_index + 1 < len(pages):
            page_end = min(page_end, pages[page_index + 1][0].start)
        page_end = min(page_end, total)
        if not captions.highlight:
            entries.append((_draw(page, None, style, width, band_height, scratch, len(entries)), page[0].start, page_end))
            continue
        for index, word in enumerate(page):
            start = page[0].start if index == 0 else word.start
            end = page[index + 1].start if index + 1 < len(page) else page_end
            if end > start:
                entries.append((_draw(page, index, style, width, band_height, scratch, len(entries)), start, end))
    concat = scratch / "captions.ffconcat"
    concat.write_text(_ffconcat(entries, _blank(width, band_height, scratch), total))
    return CaptionTrack(concat, y, len(entries), [(max(0.0, s), e) for _, s, e in entries])


def _ffconcat(entries: list[tuple[Path, float, float]], blank: Path, total: float) -> str:
    lines, cursor = ["ffconcat version 1.0"], 0.0
    for path, start, end in entries:
        start = max(start, cursor)
        if start - cursor > 0.001:
            lines += [f"file '{blank}'", f"duration {start - cursor:.3f}"]
        if end - start > 0.001:
            lines += [f"file '{path}'", f"duration {end - start:.3f}"]
            cursor = end
    lines += [f"file '{blank}'", f"duration {max(total - cursor, 0.001) + 1:.3f}", f"file '{blank}'"]
    return "\n".join(lines) + "\n"


def _blank(width: int, height: int, scratch: Path) -> Path:
    from PIL import Image

    path = scratch / "caption-blank.png"
    Image.new("RGBA", (width, height), (0, 0, 0, 0)).save(path)
    return path


def _draw(page: list[Word], highlighted: int | None, style, width: int, height: int, scratch: Path, n: int) -> Path:
    from PIL import Image, ImageDraw

    fnt = font(style.font_size, True)
    max_width = min(width * 0.88, fnt.getlength("n" * style.max_chars_per_line))
    texts = [_text(w, style) for w in page]
    lines = wrap(texts, fnt, max_width)
    line_height = int(style.font_size * 1.3)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    top = (height - line_height * len(lines)) // 2
    space = fnt.getlength(" ")
    if style.box_color:
        widest = max(fnt.getlength(" ".join(line)) for line in lines)
        pad = style.font_size // 3
        draw.rounded_rectangle([(width - widest) / 2 - pad, top - pad / 2, (width + widest) / 2 + pad,
                                top + line_height * len(lines) + pad / 2], radius=pad, fill=rgba(style.box_color))
    index = 0
    for row, line in enumerate(lines):
        x = (width - fnt.getlength(" ".join(line))) / 2
        y = top + row * line_height + line_height / 2
        for word in line:
            word_width = fnt.getlength(word)
            spoken = index == highlighted
            if spoken and style.highlight_box:
                pad = style.font_size // 6
                draw.rounded_rectangle([x - pad, y - line_height / 2 + pad / 2, x + word_width + pad,
                                        y + line_height / 2 - pad / 2], radius=pad, fill=rgba(style.highlight_box))
            draw.text((x, y), word, font=fnt, anchor="lm",
                      fill=rgba(style.highlight_color if spoken else style.color),
                      stroke_width=style.stroke_width, stroke_fill=rgba(style.stroke_color))
            x += word_width + space
            index += 1
    path = scratch / f"caption-{n:05d}.png"
    image.save(path, compress_level=1)
    return path

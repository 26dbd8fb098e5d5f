"""Facts of document text, whatever held it: bounded text, word count, title and a language guess.

Plain text, Markdown and RTF are read here; office formats feed the same TextCollector.
"""

from __future__ import annotations

import re
from pathlib import Path

from striprtf.striprtf import rtf_to_text

from mediamill.errors import LimitExceeded
from mediamill.security import Limits

# Below this many letters a language guess is noise.
MIN_LETTERS_FOR_LANGUAGE = 20
LANGUAGE_SAMPLE_CHARS = 4000
_CHUNK = 1024 * 1024
_MARKDOWN_TITLE = re.compile(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", re.M)
_FRONT_MATTER_TITLE = re.compile(r"\A---\s*\n(?:.*\n)*?title:\s*[\"']?(.+?)[\"']?\s*\n(?:.*\n)*?---", re.M)
_RTF_INFO = {"title": re.compile(rb"\{\\title\s+([^{}]*)\}"), "author": re.compile(rb"\{\\author\s+([^{}]*)\}")}
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")
_RTF_PAGES = re.compile(rb"\\nofpages(\d+)")


class TextCollector:
    """Keeps the first `text_bytes` of a document's text and counts all of its words.

    A word may arrive in pieces (an office run boundary inside it): a piece that continues a word
    does not count it twice.
    """

    def __init__(self, text_bytes: int) -> None:
        self.limit, self.kept, self.parts, self.words = text_bytes, 0, [], 0
        self.seen_more = False
        self._open_word = False

    def add(self, piece: str) -> None:
        if not piece:
            return
        tokens = len(piece.split())
        if tokens and self._open_word and not piece[0].isspace():
            tokens -= 1
        self.words += tokens
        self._open_word = not piece[-1].isspace()
        if self.kept < self.limit:
            self.parts.append(piece)
            self.kept += len(piece.encode())
        else:
            self.seen_more = True

    def add_break(self) -> None:
        self.add("\n")

    def facts(self) -> dict:
        text = "".join(self.parts).encode()[:self.limit].decode("utf-8", errors="ignore")
        text = _BLANK_LINES.sub("\n\n", text).strip()
        return {"words": self.words, "language": guess_language(text), "text": text,
                "text_truncated": self.seen_more or self.kept > self.limit}


def guess_language(text: str) -> str | None:
    """An ISO 639-1 code from py3langid (its model ships in the wheel), or None for too little text."""
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS_FOR_LANGUAGE:
        return None
    import py3langid  # with numpy: loaded by the first text that needs a language, not by every task process

    return py3langid.classify(sample)[0]


def plain_text_facts(path: Path, mime: str, text_bytes: int, limits: Limits, check) -> dict:
    """Text and Markdown: streamed, so the word count covers the whole file however large."""
    collector, head = TextCollector(text_bytes), ""
    with open(path, "rb") as reader:
        chars = 0
        while chunk := reader.read(_CHUNK):
            check()
            piece = chunk.decode("utf-8", errors="replace")
            chars += len(piece)
            if chars > limits.max_text_chars:
                raise LimitExceeded(f"the text is over max_text_chars ({limits.max_text_chars:,})", field="inputs")
            if len(head) < 64 * 1024:
                head += piece
            collector.add(piece)
    facts = {"format": "markdown" if mime == "text/markdown" else "text", "pages": None,
             "title": _markdown_title(head) if mime == "text/markdown" else None, "author": None}
    return {**facts, **collector.facts()}


def rtf_facts(path: Path, text_bytes: int, limits: Limits) -> dict:
    data = path.read_bytes()
    if len(data) > limits.max_text_chars * 4:
        raise LimitExceeded(f"the RTF is over {limits.max_text_chars * 4:,} bytes", field="inputs")
    info = {key: _rtf_field(pattern, data) for key, pattern in _RTF_INFO.items()}
    pages = _RTF_PAGES.search(data)
    collector = TextCollector(text_bytes)
    collector.add(rtf_to_text(data.decode("latin-1"), errors="ignore"))
    return {"format": "rtf", "pages": int(pages.group(1)) if pages else None, **info, **collector.facts()}


def _rtf_field(pattern: re.Pattern, data: bytes) -> str | None:
    found = pattern.search(data)
    return found.group(1).decode("latin-1").strip()[:500] or None if found else None


def _markdown_title(head: str) -> str | None:
    found = _FRONT_MATTER_TITLE.search(head) or _MARKDOWN_TITLE.search(head)
    return found.group(1).strip()[:500] if found else None

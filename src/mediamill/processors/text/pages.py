"""Web pages for research, fetched through the safe fetcher: their text and their structure.

Structure is what a page shows search engines and readers: title, meta description, h1-h3
headings, length in words, and its schema.org JSON-LD types. Parsed with the standard library's
HTML parser, which never fetches anything a page refers to.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from mediamill.errors import BadInput
from mediamill.security import Limits

HEADINGS = ("h1", "h2", "h3")
# Content that is not the page's text.
SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "head"})
# A page's headings beyond this many are counted but not listed (a sitemap-like page has hundreds).
HEADINGS_LISTED = 30
PAGE_MIME = ("text/html", "application/xhtml+xml", "text/plain")


@dataclass
class Page:
    url: str
    title: str = ""
    description: str = ""
    headings: list[tuple[str, str]] = field(default_factory=list)  # (tag, text)
    text: str = ""
    schema_types: list[str] = field(default_factory=list)
    invalid_json_ld: int = 0

    @property
    def words(self) -> int:
        return len(self.text.split())

    def headline_text(self) -> str:
        """What the page puts up front for a reader and a search engine: title, description, headings."""
        return " ".join([self.title, self.description, *(text for _, text in self.headings)])

    def structure(self) -> dict:
        counts = {tag: sum(1 for t, _ in self.headings if t == tag) for tag in HEADINGS}
        return {"url": self.url, "title": self.title, "description": self.description, "words": self.words,
                "heading_counts": counts,
                "headings": [{"level": tag, "text": text} for tag, text in self.headings[:HEADINGS_LISTED]],
                "schema_org_types": self.schema_types, "invalid_json_ld_blocks": self.invalid_json_ld}


class _Reader(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.stack: list[str] = []
        self.chunks: list[str] = []
        self.heading: list[str] | None = None
        self.title: list[str] | None = None
        self.json_ld: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: (v or "") for k, v in attrs}
        if tag == "meta" and values.get("name", "").lower() == "description":
            self.page.description = _clean(values.get("content", ""))
        elif tag == "title":
            self.title = []
        elif tag == "script" and values.get("type", "").lower().startswith("application/ld+json"):
            self.json_ld = []
        elif tag in HEADINGS:
            self.heading = []
        if tag in SKIPPED:
            self.stack.append(tag)
        elif tag in ("p", "div", "li", "br", "section", "article", "tr", *HEADINGS):
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.title is not None:
            self.page.title, self.title = _clean(" ".join(self.title)), None
        elif tag == "script" and self.json_ld is not None:
            self._schema("".join(self.json_ld))
            self.json_ld = None
        elif tag in HEADINGS and self.heading is not None:
            text = _clean(" ".join(self.heading))
            if text:
                self.page.headings.append((tag, text))
            self.heading = None
        if tag in SKIPPED and tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass
        elif tag in ("p", "div", "li", *HEADINGS):
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if self.title is not None:
            self.title.append(data)
        if self.json_ld is not None:
            self.json_ld.append(data)
        if self.stack:
            return
        if self.heading is not None:
            self.heading.append(data)
        self.chunks.append(data)

    def _schema(self, raw: str) -> None:
        try:
            data = json.loads(raw)
        except ValueError:
            self.page.invalid_json_ld += 1
            return
        for kind in _schema_types(data):
            if kind not in self.page.schema_types:
                self.page.schema_types.append(kind)


def _schema_types(data: object) -> list[str]:
    """The @type values of a JSON-LD block, its @graph and nested objects, in order."""
    found: list[str] = []
    todo = [data]
    while todo and len(found) < 50:
        item = todo.pop(0)
        if isinstance(item, list):
            todo.extend(item)
        elif isinstance(item, dict):
            kind = item.get("@type")
            found.extend(k for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str))
            todo.extend(v for v in item.values() if isinstance(v, dict | list))
    return found


def _clean(text: str) -> str:
    return " ".join(text.split())


def parse_page(url: str, html: str) -> Page:
    page = Page(url=url)
    reader = _Reader(page)
    reader.feed(html)
    reader.close()
    paragraphs = (_clean(chunk) for chunk in "".join(reader.chunks).split("\n"))
    page.text = "\n\n".join(p for p in paragraphs if p)
    return page


async def fetch_page(url: str, limits: Limits, field_name: str, *, max_bytes: int) -> Page:
    """Fetch one page (safe fetcher: public addresses only, `max_bytes` at most) and parse it."""
    from mediamill.fetcher import fetch_bytes

    capped = limits.model_copy(update={"fetch_max_bytes": min(max_bytes, limits.fetch_max_bytes)})
    try:
        data, mime = await fetch_bytes(url, capped)
    except BadInput as exc:  # name the parameter: the fetcher says only "url"
        raise type(exc)(f"{field_name}: {exc.message}", field=field_name) from None
    if not (mime.startswith(PAGE_MIME) or _looks_like_html(data)):
        raise BadInput(f"{field_name}: {url} is {mime}, not an HTML or text page", field=field_name)
    text = data.decode(_charset(data), errors="replace")
    if mime.startswith("text/plain") and not _looks_like_html(data):
        return Page(url=url, text=text)
    return parse_page(url, text)


def _looks_like_html(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<head" in head or b"<body" in head


def _charset(data: bytes) -> str:
    match = re.search(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", data[:4096], re.IGNORECASE)
    name = match.group(1).decode("ascii").lower() if match else "utf-8"
    try:
        "".encode(name)
    except LookupError:
        return "utf-8"
    return name

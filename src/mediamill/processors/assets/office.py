"""DOCX/XLSX/PPTX (OOXML) and ODT/ODS/ODP (OpenDocument): which one a zip is, and its metadata and text.

Everything is read from the zip's XML parts through SafeZip (bounded) and xml_text (no DTDs).
Macros are reported, never run (nothing here executes anything); external references (linked
images, OLE links, remote templates) are counted, never fetched.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mediamill.processors.assets.archive import SafeZip
from mediamill.processors.assets.text_facts import TextCollector
from mediamill.processors.assets.xml_text import local, parse
from mediamill.security import Limits

_OOXML = {  # main folder -> (format, MIME, macro-enabled MIME)
    "word/": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "application/vnd.ms-word.document.macroEnabled.12"),
    "xl/": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.ms-excel.sheet.macroEnabled.12"),
    "ppt/": ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
             "application/vnd.ms-powerpoint.presentation.macroEnabled.12"),
}
_ODF = {"application/vnd.oasis.opendocument.text": "odt",
        "application/vnd.oasis.opendocument.spreadsheet": "ods",
        "application/vnd.oasis.opendocument.presentation": "odp"}
MACRO_PARTS = re.compile(r"(^|/)(vbaProject\.bin|vbaData\.xml|activeX/)|^(Basic|Scripts)/", re.I)
_SNIFF_MAX_ENTRIES = 100_000  # past this, detection does not parse the directory (inspect refuses it anyway)


@dataclass(frozen=True)
class OfficeFormat:
    name: str  # docx | xlsx | pptx | odt | ods | odp
    mime: str
    family: str  # ooxml | odf
    macros: bool


def sniff(path: Path, head: bytes) -> OfficeFormat | None:
    """The office format of a zip, from its entry names (ODF: its stored `mimetype` entry)."""
    if head[30:38] == b"mimetype":  # ODF stores its MIME type uncompressed as the first entry
        declared = head[38:38 + 80].split(b"PK", 1)[0].decode("ascii", "ignore").strip()
        name = _ODF.get(declared)
        return OfficeFormat(name, declared, "odf", False) if name else None
    try:
        with zipfile.ZipFile(path) as archive:
            if len(archive.filelist) > _SNIFF_MAX_ENTRIES:
                return None
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    macros = any(MACRO_PARTS.search(name) for name in names)
    for folder, (name, mime, macro_mime) in _OOXML.items():
        if any(entry.startswith(folder) for entry in names):
            return OfficeFormat(name, macro_mime if macros else mime, "ooxml", macros)
    return None


def office_facts(path: Path, fmt: OfficeFormat, limits: Limits, text_bytes: int, check) -> dict:
    with SafeZip(path, limits) as archive:
        names = archive.names()
        macros = any(MACRO_PARTS.search(name) for name in names)
        collector = TextCollector(text_bytes)
        if fmt.family == "ooxml":
            facts = _ooxml(archive, fmt, collector, check)
            facts["external_references"] = _ooxml_external(archive)
        else:
            facts = _odf(archive, fmt, collector, check)
            facts["external_references"] = 0
    return {"format": fmt.name, **facts, "macros": macros, **collector.facts()}


# -- OOXML ---------------------------------------------------------------------------------
_BREAKS = {"p", "br", "tab", "tr", "si", "row", "c"}


def _ooxml(archive: SafeZip, fmt: OfficeFormat, collector: TextCollector, check) -> dict:
    core = _properties(archive, "docProps/core.xml")
    app = _properties(archive, "docProps/app.xml")
    facts: dict = {"title": _clean(core.get("title")), "author": _clean(core.get("creator")),
                   "subject": _clean(core.get("subject")), "pages": None}
    breaks = {"page": 0, "rendered": 0}
    start_extra = None
    if fmt.name == "docx":
        parts = ["word/document.xml"]

        def start_extra(tag: str, attrs: dict[str, str]) -> None:
            name = local(tag)
            if name == "br" and any(local(k) == "type" and v == "page" for k, v in attrs.items()):
                breaks["page"] += 1
            elif name == "lastRenderedPageBreak":  # where Word's last layout started a page
                breaks["rendered"] += 1
    elif fmt.name == "pptx":
        slides = sorted((n for n in archive.names() if re.fullmatch(r"ppt/slides/slide\d+\.xml", n)),
                        key=lambda n: int(re.search(r"(\d+)\.xml$", n).group(1)))
        facts["slides"] = len(slides)
        parts = slides
    else:
        sheets: list[str] = []
        if archive.has("xl/workbook.xml"):
            parse(archive.stream("xl/workbook.xml"), what="workbook",
                  start=lambda tag, attrs: sheets.append(attrs.get("name", "")) if local(tag) == "sheet" else None)
        facts["sheets"] = len(sheets)
        facts["sheet_names"] = sheets[:100]
        worksheets = sorted((n for n in archive.names() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)),
                            key=lambda n: int(re.search(r"(\d+)\.xml$", n).group(1)))
        parts = ["xl/sharedStrings.xml", *worksheets]  # shared strings, then inline ones
    for part in parts:
        if archive.has(part):
            check()
            _collect(archive, part, collector, text_tags={"t"}, start_extra=start_extra)
    if fmt.name == "docx":
        # app.xml's <Pages> is what the last editor laid out (python-docx writes a stale 1); breaks in
        # the body are a floor. An exact count needs a layout engine (the thumbnail renderer).
        laid_out = 1 + max(breaks["page"], breaks["rendered"])
        facts["pages"] = max(_int(app.get("Pages")) or 0, laid_out)
    return facts


def _ooxml_external(archive: SafeZip) -> int:
    """Relationships with TargetMode="External": linked images, OLE links, templates, hyperlinks."""
    count = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal count
        if local(tag) == "Relationship" and attrs.get("TargetMode") == "External":
            count += 1

    for name in archive.names():
        if name.endswith(".rels"):
            parse(archive.stream(name), start=start, what="relationship part")
    return count


# -- OpenDocument --------------------------------------------------------------------------
def _odf(archive: SafeZip, fmt: OfficeFormat, collector: TextCollector, check) -> dict:
    meta: dict[str, str] = {}
    stats: dict[str, str] = {}
    if archive.has("meta.xml"):
        current: list[str] = []

        def start(tag: str, attrs: dict[str, str]) -> None:
            current.append(local(tag))
            if local(tag) == "document-statistic":
                stats.update({local(k): v for k, v in attrs.items()})

        def text(value: str) -> None:
            if current:
                meta[current[-1]] = meta.get(current[-1], "") + value

        parse(archive.stream("meta.xml"), start=start, end=lambda tag: current.pop(), text=text, what="meta.xml")
    facts: dict = {"title": _clean(meta.get("title")), "author": _clean(meta.get("initial-creator") or meta.get("creator")),
                   "subject": _clean(meta.get("subject")), "pages": None}
    counted = {"page": 0, "table": 0}

    def start_content(tag: str, attrs: dict[str, str]) -> None:
        name = local(tag)
        if name in counted and tag.startswith(("{urn:oasis:names:tc:opendocument:xmlns:drawing",
                                               "{urn:oasis:names:tc:opendocument:xmlns:table")):
            counted[name] += 1

    check()
    _collect(archive, "content.xml", collector, text_tags=None, start_extra=start_content)
    if fmt.name == "odt":
        facts["pages"] = _int(stats.get("page-count"))
    elif fmt.name == "odp":
        facts["slides"] = counted["page"]
    else:
        facts["sheets"] = _int(stats.get("table-count")) or counted["table"]
    return facts


# -- shared --------------------------------------------------------------------------------
def _collect(archive: SafeZip, part: str, collector: TextCollector, *, text_tags: set[str] | None,
             start_extra=None) -> None:
    """Text of one part into `collector`: inside `text_tags` only (OOXML's <t>), or all text (ODF)."""
    depth = [0]

    def start(tag: str, attrs: dict[str, str]) -> None:
        name = local(tag)
        if text_tags is not None and name in text_tags:
            depth[0] += 1
        if start_extra:
            start_extra(tag, attrs)

    def end(tag: str) -> None:
        name = local(tag)
        if text_tags is not None and name in text_tags:
            depth[0] -= 1
        if name in _BREAKS or (text_tags is None and name in ("h", "p", "list-item", "table-cell")):
            collector.add_break()

    def text(value: str) -> None:
        if text_tags is None or depth[0] > 0:
            collector.add(value)

    parse(archive.stream(part), start=start, end=end, text=text, what=part)


def _properties(archive: SafeZip, part: str) -> dict[str, str]:
    """Leaf elements of a properties part (docProps/core.xml, app.xml) by local name."""
    values: dict[str, str] = {}
    if not archive.has(part):
        return values
    current: list[str] = []

    def text(value: str) -> None:
        if current:
            values[current[-1]] = values.get(current[-1], "") + value

    parse(archive.stream(part), start=lambda tag, attrs: current.append(local(tag)),
          end=lambda tag: current.pop(), text=text, what=part)
    return values


def _clean(value: str | None) -> str | None:
    return value.strip()[:500] or None if value else None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None

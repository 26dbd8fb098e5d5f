"""Documents the tests build: real DOCX/XLSX/PPTX (python-docx, openpyxl, python-pptx), hand-written
OpenDocument zips, RTF and Markdown, and hostile ones (zip bombs, macros, external references)."""

from __future__ import annotations

import zipfile
from pathlib import Path

ENGLISH = ("The quarterly report shows that revenue grew in every region while costs stayed flat, "
           "and the team expects the same trend to continue through the next year.")
FRENCH = ("Le rapport trimestriel montre que les ventes ont augmenté dans toutes les régions et que "
          "les coûts sont restés stables pendant toute la période.")


def write_docx(path: Path, *, macro: bool = False, external_image: bool = False) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title, document.core_properties.author = "Quarterly Report", "Ada Lovelace"
    document.add_heading("Quarterly Report", 0)
    document.add_paragraph(ENGLISH)
    document.add_page_break()
    document.add_paragraph("Second page. " + ENGLISH)
    document.save(path)
    if macro or external_image:
        _patch(path, macro=macro, external_image=external_image)
    return path


def write_xlsx(path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.properties.title, book.properties.creator = "Budget", "Grace Hopper"
    sheet = book.active
    sheet.title = "Costs"
    sheet.append(["Item", "Amount"])
    sheet.append(["Travel to the conference", 1200])
    book.create_sheet("Revenue").append(["Licences sold in Europe", 5400])
    book.save(path)
    return path


def write_pptx(path: Path) -> Path:
    from pptx import Presentation

    deck = Presentation()
    deck.core_properties.title, deck.core_properties.author = "Launch Plan", "Katherine Johnson"
    for title in ("Launch Plan", "Timeline", "Budget"):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = ENGLISH
    deck.save(path)
    return path


_ODF_BODY = {
    "text": "<office:text><text:h>Rapport</text:h><text:p>{text}</text:p></office:text>",
    "spreadsheet": ("<office:spreadsheet><table:table table:name='Feuille1'><table:table-row><table:table-cell>"
                    "<text:p>{text}</text:p></table:table-cell></table:table-row></table:table>"
                    "<table:table table:name='Feuille2'/></office:spreadsheet>"),
    "presentation": ("<office:presentation><draw:page draw:name='p1'><draw:frame><draw:text-box><text:p>{text}"
                     "</text:p></draw:text-box></draw:frame></draw:page><draw:page draw:name='p2'/>"
                     "</office:presentation>"),
}
_ODF_NS = ("xmlns:office='urn:oasis:names:tc:opendocument:xmlns:office:1.0' "
           "xmlns:text='urn:oasis:names:tc:opendocument:xmlns:text:1.0' "
           "xmlns:table='urn:oasis:names:tc:opendocument:xmlns:table:1.0' "
           "xmlns:draw='urn:oasis:names:tc:opendocument:xmlns:drawing:1.0' "
           "xmlns:meta='urn:oasis:names:tc:opendocument:xmlns:meta:1.0' "
           "xmlns:dc='http://purl.org/dc/elements/1.1/' "
           "xmlns:manifest='urn:oasis:names:tc:opendocument:xmlns:manifest:1.0' office:version='1.3'")


def write_odf(path: Path, kind: str, text: str = FRENCH) -> Path:
    """A minimal valid OpenDocument file (text, spreadsheet or presentation)."""
    mime = f"application/vnd.oasis.opendocument.{kind}"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mime, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", f"<?xml version='1.0' encoding='UTF-8'?><office:document-content "
                                        f"{_ODF_NS}><office:body>{_ODF_BODY[kind].format(text=text)}"
                                        f"</office:body></office:document-content>", zipfile.ZIP_DEFLATED)
        archive.writestr("meta.xml", f"<?xml version='1.0' encoding='UTF-8'?><office:document-meta {_ODF_NS}>"
                                     f"<office:meta><dc:title>Rapport {kind}</dc:title><meta:initial-creator>"
                                     f"Marie Curie</meta:initial-creator><meta:document-statistic "
                                     f"meta:page-count='1' meta:word-count='{len(text.split())}'/>"
                                     f"</office:meta></office:document-meta>", zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", f"<?xml version='1.0' encoding='UTF-8'?><manifest:manifest "
                                                  f"{_ODF_NS}><manifest:file-entry manifest:full-path='/' "
                                                  f"manifest:media-type='{mime}'/><manifest:file-entry "
                                                  f"manifest:full-path='content.xml' manifest:media-type='text/xml'/>"
                                                  f"<manifest:file-entry manifest:full-path='meta.xml' "
                                                  f"manifest:media-type='text/xml'/></manifest:manifest>",
                         zipfile.ZIP_DEFLATED)
    return path


def write_rtf(path: Path) -> Path:
    path.write_bytes(b"{\\rtf1\\ansi{\\info{\\title Memo}{\\author Ada Lovelace}{\\nofpages1}}"
                     b"\\f0\\fs24 " + ENGLISH.encode() + b"\\par}")
    return path


def write_markdown(path: Path) -> Path:
    path.write_text("# Release notes\n\n" + ENGLISH + "\n\n- faster thumbnails\n- [docs](https://example.org)\n")
    return path


def zip_bomb_docx(path: Path, source: Path, inflated_bytes: int) -> Path:
    """A real DOCX plus one entry of `inflated_bytes` zeros (deflate packs them ~1000:1)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in original.infolist():
            bomb.writestr(info, original.read(info))
        with bomb.open("word/media/filler.bin", "w", force_zip64=True) as filler:
            block = bytes(1024 * 1024)
            for _ in range(inflated_bytes // len(block)):
                filler.write(block)
    return path


def many_entries_docx(path: Path, source: Path, entries: int) -> Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as crowded:
        for info in original.infolist():
            crowded.writestr(info, original.read(info))
        for index in range(entries):
            crowded.writestr(f"extra/part{index}.xml", b"")
    return path


def _patch(path: Path, *, macro: bool, external_image: bool) -> None:
    """Add a VBA project part (a .docm) and/or a relationship to a remote image."""
    with zipfile.ZipFile(path) as original:
        parts = {info.filename: original.read(info) for info in original.infolist()}
    if macro:
        parts["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0" + bytes(508)  # an OLE header: never executed
    if external_image:
        rels = parts["word/_rels/document.xml.rels"].decode()
        parts["word/_rels/document.xml.rels"] = rels.replace(
            "</Relationships>", '<Relationship Id="rIdRemote" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/image" Target="http://127.0.0.1:9/tracker.png" TargetMode="External"/>'
            "</Relationships>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as patched:
        for name, data in parts.items():
            patched.writestr(name, data)

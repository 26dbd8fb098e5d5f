"""PDF metadata: page count, title/author, encryption and the first N KB of text.

pypdf reads the most metadata; when its parser gives up on a file that PDFium (the thumbnail
renderer) opens, PDFium answers instead, so a PDF that thumbnails is never refused by inspect.
"""

from __future__ import annotations

from pathlib import Path

from mediamill.errors import BadInput

# Shapes pypdf's parser fails in on malformed files (besides its own PyPdfError); PDFium then gets its turn.
_PARSE_ERRORS = (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError)


def pdf_facts(path: Path, text_bytes: int, check=lambda: None) -> dict:
    # pypdf loads here, not with the module: asset.inspect's task processes import this module
    # before their first job, and most inputs are not PDFs (~0.3 s of every worker's start).
    from pypdf.errors import PyPdfError

    try:
        facts = _pypdf_facts(path, text_bytes, check)
    except BadInput:
        raise
    except (PyPdfError, *_PARSE_ERRORS):
        facts = _pdfium_facts(path, text_bytes, check)
    if facts["pages"] == 0:
        raise BadInput("the PDF has no pages", field="inputs")
    return facts


def _pypdf_facts(path: Path, text_bytes: int, check) -> dict:
    from pypdf import PdfReader

    reader = PdfReader(str(path), strict=False)
    encrypted = reader.is_encrypted
    if encrypted and not reader.decrypt(""):  # owner-password-only PDFs open with an empty user password
        return {"pages": None, "encrypted": True, "text": None, "parser": "pypdf"}
    info = reader.metadata or {}
    facts: dict = {
        "pages": len(reader.pages), "encrypted": encrypted,
        "title": _text(info.get("/Title")), "author": _text(info.get("/Author")),
        "subject": _text(info.get("/Subject")), "creator": _text(info.get("/Creator")),
        "producer": _text(info.get("/Producer")), "parser": "pypdf",
    }
    if facts["pages"] == 0:
        return facts
    facts.update(_bounded_text((page.extract_text() or "" for page in reader.pages), text_bytes, check))
    return facts


def _pdfium_facts(path: Path, text_bytes: int, check) -> dict:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        info = pdf.get_metadata_dict(skip_empty=True)
        facts: dict = {
            "pages": len(pdf), "encrypted": False,
            "title": _text(info.get("Title")), "author": _text(info.get("Author")),
            "subject": _text(info.get("Subject")), "creator": _text(info.get("Creator")),
            "producer": _text(info.get("Producer")), "parser": "pdfium",
        }

        def pages():
            for index in range(len(pdf)):
                page = pdf[index]
                yield page.get_textpage().get_text_range()

        facts.update(_bounded_text(pages(), text_bytes, check))
        return facts
    finally:
        pdf.close()


def _bounded_text(page_texts, text_bytes: int, check) -> dict:
    text, size = [], 0
    for chunk in page_texts:
        check()
        text.append(chunk)
        size += len(chunk.encode())
        if size >= text_bytes:
            break
    joined = "\n".join(text).encode()[:text_bytes].decode("utf-8", errors="ignore")
    return {"text": joined, "text_truncated": size > text_bytes}


def _text(value) -> str | None:
    return str(value)[:500] if value else None

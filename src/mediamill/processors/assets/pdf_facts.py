"""PDF metadata with pypdf: page count, title/author, encryption, and the first N KB of text."""

from __future__ import annotations

from pathlib import Path

from mediamill.errors import BadInput


def pdf_facts(path: Path, text_bytes: int, check=lambda: None) -> dict:
    from pypdf import PdfReader

    reader = PdfReader(str(path), strict=False)
    encrypted = reader.is_encrypted
    if encrypted and not reader.decrypt(""):  # owner-password-only PDFs open with an empty user password
        return {"pages": None, "encrypted": True, "text": None}
    info = reader.metadata or {}
    facts: dict = {
        "pages": len(reader.pages), "encrypted": encrypted,
        "title": _text(info.get("/Title")), "author": _text(info.get("/Author")),
        "subject": _text(info.get("/Subject")), "creator": _text(info.get("/Creator")),
        "producer": _text(info.get("/Producer")),
    }
    if facts["pages"] == 0:
        raise BadInput("the PDF has no pages", field="inputs")
    text, size = [], 0
    for page in reader.pages:
        check()
        chunk = page.extract_text() or ""
        text.append(chunk)
        size += len(chunk.encode())
        if size >= text_bytes:
            break
    joined = "\n".join(text).encode()[:text_bytes].decode("utf-8", errors="ignore")
    facts["text"] = joined
    facts["text_truncated"] = size > text_bytes
    return facts


def _text(value) -> str | None:
    return str(value)[:500] if value else None

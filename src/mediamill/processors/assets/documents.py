"""Document and design-file facts by format: office zips (OOXML, OpenDocument), RTF, PSD, AI, EPS."""

from __future__ import annotations

from pathlib import Path

from mediamill.processors.assets import design, office
from mediamill.processors.assets.kinds import Kind
from mediamill.processors.assets.pdf_facts import pdf_facts
from mediamill.processors.assets.text_facts import rtf_facts
from mediamill.security import Limits


def document_facts(path: Path, kind: Kind, limits: Limits, text_bytes: int, check) -> dict:
    """title, author, pages / slides / sheets, words, language, text (first `text_bytes`), format."""
    if kind.mime == "application/rtf":
        return rtf_facts(path, text_bytes, limits)
    with open(path, "rb") as reader:
        head = reader.read(4096)
    fmt = office.sniff(path, head)
    return office.office_facts(path, fmt, limits, text_bytes, check)


def design_facts(path: Path, mime: str, limits: Limits, text_bytes: int, check) -> dict:
    """{"design": ...} with dimensions, layers and colour mode; an .ai also gets its PDF document facts."""
    if mime == design.PSD_MIME:
        facts = design.psd_facts(path, limits)
        return {"width": facts["width"], "height": facts["height"], "design": facts}
    if mime == design.AI_MIME:
        document = pdf_facts(path, text_bytes, check)
        return {"design": {"format": "ai", "vector": True}, "document": document}
    return {"design": design.eps_facts(path)}

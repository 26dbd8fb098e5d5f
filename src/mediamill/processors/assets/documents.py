"""Document facts by format: office zips (OOXML, OpenDocument) and RTF, one shape for all."""

from __future__ import annotations

from pathlib import Path

from mediamill.processors.assets import office
from mediamill.processors.assets.kinds import Kind
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

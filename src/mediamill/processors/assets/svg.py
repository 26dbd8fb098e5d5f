"""SVG safety: refuse DTDs/entities and any reference that would leave the document, before rendering.

libvips renders SVG from a buffer (no base directory), so local files are out of reach too; this
check makes the refusal explicit and early, with a message naming the offending reference.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from mediamill.errors import BadInput

MAX_SVG_BYTES = 10 * 1024 * 1024
_URL_IN_CSS = re.compile(r"""url\(\s*['"]?([^'")\s]*)""", re.IGNORECASE)
_IMPORT_IN_CSS = re.compile(r"@import", re.IGNORECASE)
_HREF_ATTRS = ("href", "{http://www.w3.org/1999/xlink}href", "src")


def _is_local(reference: str) -> bool:
    """Same-document fragments and inline data are the only references an SVG may keep."""
    reference = reference.strip()
    return reference == "" or reference.startswith("#") or reference.lower().startswith("data:")


def check_svg(data: bytes) -> None:
    """Raise BadInput unless the SVG is self-contained (no DTD, entities or external references)."""
    if len(data) > MAX_SVG_BYTES:
        raise BadInput(f"the SVG is larger than {MAX_SVG_BYTES // 1024 // 1024} MB", field="inputs")
    if re.search(rb"<!DOCTYPE|<!ENTITY", data, re.IGNORECASE):
        raise BadInput("the SVG declares a DTD or entities (possible external entity attack); refused",
                       field="inputs")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise BadInput(f"the SVG is not well-formed XML: {exc}", field="inputs") from None
    for element in root.iter():
        for attr in _HREF_ATTRS:
            value = element.get(attr)
            if value is not None and not _is_local(value):
                raise BadInput(f"the SVG references an external resource ({value[:100]!r}); refused",
                               field="inputs")
        css = (element.get("style") or "") + (element.text or "" if element.tag.endswith("style") else "")
        for value in element.attrib.values():
            css += " " + value if "url(" in value else ""
        if _IMPORT_IN_CSS.search(css):
            raise BadInput("the SVG's CSS uses @import (an external resource); refused", field="inputs")
        for reference in _URL_IN_CSS.findall(css):
            if not _is_local(reference):
                raise BadInput(f"the SVG's CSS references an external resource ({reference[:100]!r}); refused",
                               field="inputs")

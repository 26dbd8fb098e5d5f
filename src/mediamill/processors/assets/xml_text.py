"""Streaming XML for document parts: text and attributes by element, with DTDs refused.

Office parts never carry a DTD; a part that has one is hostile (entity expansion, external
entities), so it is refused before any entity could be declared. Nothing is ever fetched: expat
does not load external entities, and the refusal comes first anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from xml.parsers import expat

from mediamill.errors import BadInput

StartHandler = Callable[[str, dict[str, str]], None]
EndHandler = Callable[[str], None]
TextHandler = Callable[[str], None]


def parse(chunks: Iterable[bytes], *, start: StartHandler | None = None, end: EndHandler | None = None,
          text: TextHandler | None = None, what: str = "document part") -> None:
    """Feed `chunks` to expat; names arrive as `{namespace}local`, like ElementTree's."""
    parser = expat.ParserCreate(namespace_separator="}")

    def refuse(*_: object) -> None:
        raise BadInput(f"the {what} declares a DTD or entities; refused", field="inputs")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    if start:
        parser.StartElementHandler = lambda name, attrs: start(_name(name), attrs)
    if end:
        parser.EndElementHandler = lambda name: end(_name(name))
    if text:
        parser.CharacterDataHandler = text
    parser.buffer_text = True
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise BadInput(f"the {what} is not well-formed XML ({exc})", field="inputs") from None


def _name(name: str) -> str:
    return "{" + name if "}" in name else name


def local(name: str) -> str:
    return name.rsplit("}", 1)[-1]

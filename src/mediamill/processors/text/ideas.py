"""The content seed's (002) idea record: its worker fetched the idea by id; here the app sends it inline.

`{"title": ..., "description": ..., "angle": ...}` (camelCase or not) reads as one brief, so
content.generate and content.research take the record where they take a text idea or topic.
"""

from __future__ import annotations

IDEA_TEXT_FIELDS = ("title", "description", "summary", "angle", "notes")


def idea_brief(value: object) -> object:
    """A before-validator: an idea record becomes its text (title first); anything else passes on."""
    if not isinstance(value, dict):
        return value
    parts = [value[name].strip() for name in IDEA_TEXT_FIELDS if isinstance(value.get(name), str)
             and value[name].strip()]
    if not parts:
        raise ValueError("an idea record needs a title (or description)")
    title, *rest = parts
    if not rest:
        return title
    return " ".join([title if title.endswith((".", "!", "?")) else title + ".", *rest])

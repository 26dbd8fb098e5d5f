"""Jinja2 for HTML templates: autoescaped, strict about undefined names, errors as BadInput.

Shipped templates live in `mediamill/templates/<name>/` as `template.html` plus `template.json`
(viewport, device scale, which data fields are images to inline, defaults for the data).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from mediamill.errors import BadInput

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True)
class TemplateMeta:
    name: str
    description: str = ""
    width: int = 1080
    height: int = 1920
    device_scale: float = 2.0
    image_fields: tuple[str, ...] = ()
    defaults: dict = field(default_factory=dict)


def shipped_templates() -> list[str]:
    return sorted(p.name for p in TEMPLATES_DIR.iterdir() if (p / "template.html").is_file())


def load_shipped(name: str) -> tuple[str, TemplateMeta]:
    """Source and metadata of a shipped template, or BadInput listing the known names."""
    folder = TEMPLATES_DIR / name
    if "/" in name or name.startswith(".") or not (folder / "template.html").is_file():
        raise BadInput(f"params.template: unknown template {name!r}; known: {', '.join(shipped_templates())}",
                       field="params.template")
    raw = json.loads((folder / "template.json").read_text()) if (folder / "template.json").is_file() else {}
    meta = TemplateMeta(name=name, description=raw.get("description", ""),
                        width=raw.get("width", 1080), height=raw.get("height", 1920),
                        device_scale=raw.get("device_scale", 2.0),
                        image_fields=tuple(raw.get("image_fields", ())), defaults=raw.get("defaults", {}))
    return (folder / "template.html").read_text(), meta


@cache
def _environment():
    import jinja2

    # The loader lets shipped templates share partials ({% include "tweet-reel/x.html" %}).
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )


def render_template(source: str, data: dict, *, label: str = "template") -> str:
    """The HTML text; a syntax error or an undefined name is BadInput naming line and name."""
    import jinja2

    try:
        template = _environment().from_string(source)
        return template.render(**data)
    except jinja2.TemplateError as exc:
        raise template_failure(exc, label, data_field="params.data", source_field="params.html") from None


# StrictUndefined says "'x' is undefined" for a name, "... has no attribute 'x'" for an attribute.
_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined|has no attribute '([^']+)'")


def template_failure(exc: Exception, label: str, *, data_field: str, source_field: str) -> BadInput:
    """A Jinja error as the BadInput that says what is wrong (used by every Jinja renderer here):
    the line of a syntax error; the data a template needs and was not given, as `data_field.name`;
    a sandbox refusal; anything else against the template (`source_field`)."""
    from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

    if isinstance(exc, TemplateSyntaxError):
        return BadInput(f"{label}: syntax error at line {exc.lineno}: {exc.message}", field=source_field)
    if isinstance(exc, UndefinedError):
        match = _UNDEFINED_NAME.search(str(exc))
        field = f"{data_field}.{match.group(1) or match.group(2)}" if match else data_field
        return BadInput(f"{label}: {exc.message}: give {field}", field=field)
    if isinstance(exc, SecurityError):
        return BadInput(f"{label} tried something the sandbox forbids: {exc}", field=source_field)
    return BadInput(f"{label} cannot be rendered: {exc}", field=source_field)


def data_url(payload: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"

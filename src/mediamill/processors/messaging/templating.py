"""Rendering an email: sandboxed, autoescaped Jinja2 with StrictUndefined, then CSS inlined.

Templates are looked up first in `Settings.email.templates_dir` (to add or override), then in the
package. Each template is a pair `NAME.html.j2` + `NAME.txt.j2`; a user template may be HTML only,
and then its text part is derived from the HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import css_inline
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined, TemplateNotFound
from jinja2.exceptions import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from mediamill.errors import BadInput
from mediamill.processors.html.templating import template_failure
from mediamill.processors.messaging.catalog import TEMPLATES
from mediamill.settings import EmailSettings

HTML_SUFFIX, TEXT_SUFFIX = ".html.j2", ".txt.j2"
# The layouts and partials beside the templates are not templates a job may name.
_PRIVATE = re.compile(r"^_")
# Inlining keeps @media rules in a <style> block (clients that read them get the narrow layout) and
# never fetches a remote stylesheet.
_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


@dataclass(frozen=True)
class Rendered:
    html: str | None
    text: str
    unsubscribe_url: str | None


@dataclass(frozen=True)
class Brand:
    name: str
    color: str
    text_color: str
    background: str
    footer: str
    address: str | None
    logo_src: str | None  # "cid:..." in a sent message, a data: URI in a preview, None for the name in type

    @classmethod
    def from_settings(cls, config: EmailSettings, logo_src: str | None = None) -> Brand:
        return cls(name=config.brand_name, color=config.brand_color, text_color=config.brand_text_color,
                   background=config.brand_background, footer=config.brand_footer,
                   address=config.brand_address, logo_src=logo_src)


@lru_cache(maxsize=8)
def environment(templates_dir: Path | None) -> SandboxedEnvironment:
    loaders = [PackageLoader("mediamill.processors.messaging", "templates")]
    if templates_dir is not None:
        loaders.insert(0, FileSystemLoader(str(templates_dir)))
    return SandboxedEnvironment(
        loader=ChoiceLoader(loaders), undefined=StrictUndefined,
        autoescape=lambda name: bool(name) and name.endswith(HTML_SUFFIX),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )


def template_names(config: EmailSettings) -> list[str]:
    names = {name.removesuffix(HTML_SUFFIX) for name in environment(config.templates_dir).list_templates()
             if name.endswith(HTML_SUFFIX) and not _PRIVATE.match(Path(name).name)}
    return sorted(names)


def render(config: EmailSettings, template: str, data: dict, *, subject: str, brand: Brand) -> Rendered:
    """The HTML (CSS inlined) and text parts of `template` over `data`; BadInput naming what is wrong."""
    env = environment(config.templates_dir)
    if _PRIVATE.match(template) or "/" in template:
        raise BadInput(f"unknown template {template!r}", field="template")
    try:
        html_template = env.get_template(template + HTML_SUFFIX)
    except TemplateNotFound:
        known = ", ".join(template_names(config))
        raise BadInput(f"unknown template {template!r}; known: {known}", field="template") from None
    info = TEMPLATES.get(template)
    unsubscribe = (data.get("unsubscribeUrl") or config.unsubscribe_url) if (info is None or info.unsubscribe) else None
    context = {"data": data, **data, "subject": subject, "brand": brand, "unsubscribe_url": unsubscribe}
    try:
        html = html_template.render(context)
        text_source = _text_template(env, config, template)
        text = text_source.render(context) if text_source is not None else html_to_text(html)
    except TemplateError as exc:
        raise template_failure(exc, f"template {template!r}", data_field="data", source_field="template") from None
    return Rendered(html=inline_css(html), text=_tidy_text(text), unsubscribe_url=unsubscribe)


def _text_template(env: SandboxedEnvironment, config: EmailSettings, template: str):
    """The text part from the same place as the HTML: a user's HTML never pairs with a packaged text
    (that text may need other data); without its own text part, the text is derived from the HTML."""
    user_dir = config.templates_dir
    if user_dir is not None and (user_dir / (template + HTML_SUFFIX)).is_file() \
            and not (user_dir / (template + TEXT_SUFFIX)).is_file():
        return None
    try:
        return env.get_template(template + TEXT_SUFFIX)
    except TemplateNotFound:
        return None


def render_plain(html: str | None, text: str | None) -> Rendered:
    """A plain email: the job's own HTML (CSS inlined) and text; the text derived when only HTML is given."""
    if not html and not text:
        raise BadInput("a plain email needs html or text (or a template)", field="data.html")
    return Rendered(html=inline_css(html) if html else None, text=_tidy_text(text or html_to_text(html or "")),
                    unsubscribe_url=None)


def inline_css(html: str) -> str:
    return _INLINER.inline(html)


class _TextExtractor(HTMLParser):
    """HTML to readable text: block elements become line breaks, links keep their address."""

    BLOCKS = {"p", "div", "br", "tr", "h1", "h2", "h3", "h4", "li", "table", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("style", "script", "head", "title"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head", "title"):
            self._skip = max(0, self._skip - 1)
        elif tag == "a" and self._href and not self._href.startswith(("#", "mailto:")):
            self.parts.append(f" ({self._href})")
            self._href = None
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    return "".join(parser.parts)


def _tidy_text(text: str) -> str:
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"

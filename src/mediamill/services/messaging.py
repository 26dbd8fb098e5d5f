"""Email use cases for the edges: list the templates, and preview one as a person would see it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mediamill.errors import BadInput, NotFound
from mediamill.processors.html.templating import data_url
from mediamill.processors.messaging.catalog import TEMPLATES
from mediamill.processors.messaging.templating import Brand, render, template_names
from mediamill.settings import Settings
from mediamill.storage import open_store


@dataclass(frozen=True)
class Preview:
    template: str
    subject: str
    html: str
    text: str
    unsubscribe_url: str | None


def email_templates(settings: Settings) -> list[dict]:
    """Every template a job may name: the packaged ones and those of `email.templates_dir`."""
    rows = []
    for name in template_names(settings.email):
        info = TEMPLATES.get(name)
        rows.append({"name": name, "packaged": info is not None,
                     "description": info.description if info else "from the templates folder",
                     "unsubscribe": info.unsubscribe if info else True,
                     "sample": info.sample if info else {}})
    return rows


def preview_email(settings: Settings, template: str, data: dict | None = None, subject: str | None = None) -> Preview:
    """The rendered HTML and text of `template` over `data` (the template's sample data when None).

    The logo is embedded as a data: URI, so the HTML file opens in a browser as it looks in a client.
    """
    if data is None:
        info = TEMPLATES.get(template)
        data = dict(info.sample) if info else {}
    if not isinstance(data, dict):
        raise BadInput("--data must be a JSON object", field="data")
    subject = subject or template.replace("-", " ").capitalize()
    brand = Brand.from_settings(settings.email, logo_src=_logo_data_uri(settings))
    rendered = render(settings.email, template, data, subject=subject, brand=brand)
    return Preview(template=template, subject=subject, html=rendered.html or "", text=rendered.text,
                   unsubscribe_url=rendered.unsubscribe_url)


def write_preview(preview: Preview, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, text_path = out_dir / f"{preview.template}.html", out_dir / f"{preview.template}.txt"
    html_path.write_text(preview.html, encoding="utf-8")
    text_path.write_text(preview.text, encoding="utf-8")
    return html_path, text_path


def _logo_data_uri(settings: Settings) -> str | None:
    artifact_id = settings.email.brand_logo_artifact
    if not artifact_id:
        return None
    store = open_store(settings)
    try:
        artifact = store.stat(artifact_id)
    except NotFound:
        return None
    with store.open(artifact.id) as handle:
        return data_url(handle.read(), artifact.mime)

"""html.render: a Jinja2 template (shipped or inline) + data -> PNG, screenshotted in headless Chromium."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mediamill.errors import BadInput, JobTimeout, ToolFailed
from mediamill.processors.html import browser
from mediamill.processors.html.images import inline_images
from mediamill.processors.html.templating import load_shipped, render_template
from mediamill.tasks import TaskContext, task


class RenderParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template: str | None = Field(None, description="a shipped template (tweet-reel, product-promo, media-card)")
    html: str | None = Field(None, max_length=1_000_000, description="an inline Jinja2 template instead")
    data: dict[str, Any] = Field(default_factory=dict, description="the template's variables")
    image_fields: list[str] = Field(
        default_factory=list,
        description="dotted data fields holding images (URL, 'input:N', artifact id) to inline as data: URLs; "
                    "shipped templates declare theirs")
    width: int | None = Field(None, ge=16, le=4096, description="viewport width in CSS px (template default)")
    height: int | None = Field(None, ge=16, le=4096, description="viewport height in CSS px (template default)")
    device_scale: float | None = Field(None, ge=0.5, le=4, description="device pixel ratio (template default)")
    javascript: bool = Field(False, description="run the page's scripts (off: templates are HTML + CSS)")
    full_page: bool = Field(False, description="capture the whole scrollable page, not just the viewport")
    name: str = Field("render.png", description="output file name")

    @model_validator(mode="after")
    def _one_source(self) -> RenderParams:
        if bool(self.template) == bool(self.html):
            raise ValueError("give exactly one of 'template' or 'html'")
        return self


def prepare_html(ctx: TaskContext, params: RenderParams) -> tuple[str, dict]:
    """The final HTML (images inlined) and the viewport {width, height, device_scale}."""
    if params.template:
        source, meta = load_shipped(params.template)
        data = {**meta.defaults, **params.data}
        fields = [*meta.image_fields, *params.image_fields]
        label = f"template {params.template}"
        viewport = {"width": meta.width, "height": meta.height, "device_scale": meta.device_scale}
    else:
        source, data, fields, label = params.html, dict(params.data), params.image_fields, "template"
        viewport = {"width": 1080, "height": 1920, "device_scale": 2.0}
    for key in ("width", "height", "device_scale"):
        if getattr(params, key) is not None:
            viewport[key] = getattr(params, key)
    data = inline_images(ctx, data, fields)
    return render_template(source, data, label=label), viewport


@contextlib.contextmanager
def _playwright_errors(timeout_s: float) -> Iterator[None]:
    """Translate Playwright's errors at the edge: a timeout is ours, the rest is transient."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        yield
    except PlaywrightTimeout:
        raise JobTimeout(f"the page did not finish rendering within {timeout_s:.0f} s") from None
    except PlaywrightError as exc:
        raise ToolFailed(f"Chromium failed: {exc.message.splitlines()[0]}") from None


def screenshot(html: str, out: Path, *, width: int, height: int, device_scale: float = 1.0,
               javascript: bool = False, full_page: bool = False, timeout_s: float = 60.0) -> Path:
    """Render HTML in the process's browser and save a PNG (the pixels are width*scale x height*scale)."""
    def shoot(page) -> None:
        page.set_content(html, wait_until="load")
        # Web fonts (data: URLs) and emoji load asynchronously; wait so text never renders in a fallback.
        page.evaluate("() => document.fonts.ready.then(() => true)")
        page.screenshot(path=str(out), full_page=full_page, type="png", animations="disabled")

    with _playwright_errors(timeout_s):
        browser.with_page(shoot, width=width, height=height, scale=device_scale, javascript=javascript,
                          timeout_s=timeout_s)
    return out


@task("html.render", queue="video", inputs=(0, 8), timeout_s=180)
def render_html(ctx: TaskContext, params: RenderParams) -> dict:
    """Render a Jinja2 template with data to a PNG in headless Chromium (no network; images inlined)."""
    ctx.progress(5, "template")
    html, viewport = prepare_html(ctx, params)
    ctx.check()
    ctx.progress(30, "screenshot")
    out = screenshot(html, ctx.scratch_file("render.png"), width=viewport["width"], height=viewport["height"],
                     device_scale=viewport["device_scale"], javascript=params.javascript,
                     full_page=params.full_page, timeout_s=ctx.limits.render_timeout_s)
    pixel_size = _png_size(out)
    ctx.progress(90, "store")
    artifact = ctx.put(out, name=params.name, mime="image/png",
                       metadata={"template": params.template, "width": pixel_size[0], "height": pixel_size[1]})
    return {"image": artifact, "width": pixel_size[0], "height": pixel_size[1],
            "deviceScale": viewport["device_scale"]}


def _png_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        return image.size


def require_fields(data: dict, names: list[str], label: str) -> None:
    missing = [name for name in names if data.get(name) in (None, "")]
    if missing:
        raise BadInput(f"{label}: missing {', '.join(missing)}", field=f"params.{missing[0]}")

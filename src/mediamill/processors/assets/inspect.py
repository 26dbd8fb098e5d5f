"""asset.inspect: metadata by content type, stored as the input artifact's metadata too."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from mediamill.errors import BadInput
from mediamill.processors.assets.documents import design_facts, document_facts
from mediamill.processors.assets.edge import decoding
from mediamill.processors.assets.kinds import Kind, detect
from mediamill.processors.assets.models import model_facts
from mediamill.processors.assets.text_facts import plain_text_facts
from mediamill.tasks import TaskContext, task


class InspectParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text_kb: int = Field(16, ge=0, le=1024, description="KB of text to extract from documents")
    strip_gps: bool = Field(False, description="also output a copy of the image without GPS tags "
                            "(only when the image has any)")
    verify: bool = Field(True, description="decode a tiny copy of images to catch truncated files")
    allow_empty: bool = Field(False, description="report a 0-byte file instead of failing with BadInput")


@task("asset.inspect", queue="assets", inputs=(1, 1))
def inspect_asset(ctx: TaskContext, params: InspectParams) -> dict:
    """Size, sha256, MIME, kind and file_type, plus image / video / audio / document facts; saved on the input artifact."""
    source = ctx.input(0)
    path = ctx.path(source)
    kind = detect(path)
    if kind.kind == "empty" and not params.allow_empty:
        raise BadInput("the input is empty (0 bytes)", field="inputs")
    facts: dict = {"kind": kind.kind, "mime": kind.mime, **_digest(path, ctx)}
    ctx.progress(30, "probe")
    stripped = None
    with decoding(kind.kind):
        facts.update(_probe(ctx, path, kind, params))
        if facts["kind"] == "audio" and facts["mime"].startswith("video/"):  # an .m4a is an MP4 without video
            facts["mime"] = "audio/" + facts["mime"].removeprefix("video/")
        facts["file_type"] = Kind(facts["kind"], facts["mime"]).file_type
        if params.strip_gps and facts.get("gps"):
            stripped = _strip_gps(ctx, path, source, facts)
    ctx.progress(90, "store")
    ctx.store.update_metadata(source.id, {"inspect": facts})
    result = {"artifact": source.id, **facts}
    if stripped is not None:
        result["stripped"] = stripped
    return result


def _digest(path: Path, ctx: TaskContext) -> dict:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as reader:
        while chunk := reader.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
            ctx.check()
    return {"size": size, "sha256": digest.hexdigest()}


def _probe(ctx: TaskContext, path: Path, kind: Kind, params: InspectParams) -> dict:
    if kind.kind == "image":
        from mediamill.processors.assets.image_facts import image_facts

        return image_facts(path, ctx.limits, verify=params.verify, mime=kind.mime)[0]
    if kind.kind == "svg":
        from mediamill.processors.assets.image_facts import svg_facts

        return svg_facts(path, ctx.limits)
    if kind.kind in ("video", "audio"):
        from mediamill.processors.assets.media_facts import media_facts

        return media_facts(path, ctx.limits)
    if kind.kind == "pdf":
        from mediamill.processors.assets.pdf_facts import pdf_facts

        return {"document": pdf_facts(path, params.text_kb * 1024, ctx.check)}
    if kind.kind == "model":
        return {"model": model_facts(path, kind.mime, ctx.limits)}
    if kind.kind == "design":
        return design_facts(path, kind.mime, ctx.limits, params.text_kb * 1024, ctx.check)
    if kind.kind == "document":
        return {"document": document_facts(path, kind, ctx.limits, params.text_kb * 1024, ctx.check)}
    if kind.kind == "text":
        facts = plain_text_facts(path, kind.mime, params.text_kb * 1024, ctx.limits, ctx.check)
        return {"text": facts["text"], "document": facts}
    return {}


def _strip_gps(ctx: TaskContext, path: Path, source, facts: dict):
    from mediamill.processors.assets._vips import vips
    from mediamill.processors.assets.encode import EXTENSION, MIME
    from mediamill.processors.assets.exif import strip_gps_file

    image = vips().Image.new_from_file(str(path))
    data, fmt = strip_gps_file(path, image, image.get("vips-loader"))
    ext = {"tiff": ".tif"}.get(fmt, EXTENSION.get(fmt, ".bin"))
    mime = {"tiff": "image/tiff"}.get(fmt, MIME.get(fmt))
    stem = (source.name or "image").rsplit(".", 1)[0]
    return ctx.put(data, name=f"{stem}-nogps{ext}", mime=mime, source_artifact=source,
                   metadata={"kind": "gps-stripped", "width": facts.get("width"), "height": facts.get("height")})

"""file.inspect: what any file is, by its content (size, sha256, MIME, kind, basic type facts)."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, Field

from mediamill.storage.mime import SNIFF_BYTES, sniff
from mediamill.tasks import TaskContext, task


class InspectParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text_preview_chars: int = Field(200, ge=0, le=10_000, description="characters of a text file to include")


KINDS = (("image/", "image"), ("video/", "video"), ("audio/", "audio"), ("text/", "text"),
         ("application/pdf", "document"), ("application/json", "text"), ("application/x-subrip", "text"))


def kind_of(mime: str) -> str:
    return next((kind for prefix, kind in KINDS if mime.startswith(prefix)), "binary")


@task("file.inspect", queue="assets", inputs=(1, 1), isolation="thread")
def inspect_file(ctx: TaskContext, params: InspectParams) -> dict:
    """Size, sha256 and MIME type of the input, sniffed from its content (the name is never trusted)."""
    source = ctx.input(0)
    digest, size, head = hashlib.sha256(), 0, b""
    with ctx.open(source) as reader:
        while chunk := reader.read(1024 * 1024):
            ctx.check()
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
            digest.update(chunk)
            size += len(chunk)
            ctx.progress(50, "hashing")
    mime = sniff(head)
    kind = kind_of(mime)
    facts: dict = {"size": size, "sha256": digest.hexdigest(), "mime": mime, "kind": kind,
                   "name": source.name, "empty": size == 0}
    if kind == "text" and params.text_preview_chars:
        text = head.decode("utf-8", errors="replace")
        facts["preview"] = text[: params.text_preview_chars]
    if kind == "image":
        facts.update(_image_size(head))
    ctx.progress(100, "done")
    return facts


def _image_size(head: bytes) -> dict:
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(head)) as image:  # reads the header only
            return {"width": image.width, "height": image.height, "format": image.format}
    except (UnidentifiedImageError, OSError, ValueError):
        return {}

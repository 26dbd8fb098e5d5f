"""Image fields of template data become data: URLs, so the page itself never loads anything.

A field may hold an http(s) URL (downloaded through mediamill's safe fetcher: public addresses
only, size and time limits), `input:N` or an artifact id (a job input), or a data: URL already.
Every image is decoded once here, so a corrupt or oversized picture fails as BadInput before
Chromium sees it.
"""

from __future__ import annotations

import asyncio
import io

from mediamill.errors import BadInput, LimitExceeded
from mediamill.processors.html.templating import data_url
from mediamill.security import Limits
from mediamill.storage.mime import sniff
from mediamill.tasks import TaskContext

BROWSER_IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif", "image/avif"}


def inline_images(ctx: TaskContext, data: dict, fields: tuple[str, ...] | list[str],
                  errors_name: dict[str, str] | None = None) -> dict:
    """A copy of data where each named (dotted) field holds a data: URL. A bad picture's BadInput names
    `params.data.<field>`, or the field the caller's params really call it (`errors_name`)."""
    result = dict(data)
    for path in fields:
        parent, key = _parent(result, path)
        if parent is None or parent.get(key) in (None, ""):
            continue
        parent[key] = _as_data_url(ctx, parent[key], (errors_name or {}).get(path, f"params.data.{path}"))
    return result


def _parent(data: dict, path: str) -> tuple[dict | None, str]:
    *heads, last = path.split(".")
    node = data
    for head in heads:
        child = node.get(head) if isinstance(node, dict) else None
        if not isinstance(child, dict):
            return None, last
        node[head] = child = dict(child)  # copy on the way down: never mutate the caller's data
        node = child
    return node, last


def _as_data_url(ctx: TaskContext, value: object, field: str) -> str:
    if not isinstance(value, str):
        raise BadInput(f"{field}: expected an image URL, 'input:N' or an artifact id", field=field)
    if value.startswith("data:"):
        return value
    if value.startswith(("http://", "https://")):
        payload, _ = _fetch(value, ctx.limits, field)
    elif value.startswith("input:") or value.startswith("art_"):
        payload = _from_input(ctx, value, field)
    else:
        raise BadInput(f"{field}: {value[:60]!r} is not an http(s) URL, 'input:N' or an artifact id", field=field)
    mime = sniff(payload[:8192])
    check_image(payload, ctx.limits, field)
    if mime not in BROWSER_IMAGE_TYPES:
        payload, mime = _to_png(payload), "image/png"
    return data_url(payload, mime)


def _fetch(url: str, limits: Limits, field: str) -> tuple[bytes, str]:
    from mediamill.fetcher import fetch_bytes

    try:
        return asyncio.run(fetch_bytes(url, limits))
    except BadInput as exc:
        raise BadInput(f"{field}: {exc.message}", field=field) from None


def _from_input(ctx: TaskContext, value: str, field: str) -> bytes:
    if value.startswith("input:"):
        try:
            artifact = ctx.inputs[int(value.split(":", 1)[1])]
        except (ValueError, IndexError):
            raise BadInput(f"{field}: {value!r} names no job input (the job has {len(ctx.inputs)})",
                           field=field) from None
    else:
        artifact = next((a for a in ctx.inputs if a.id == value), None)
        if artifact is None:
            raise BadInput(f"{field}: artifact {value} is not an input of this job", field=field)
    if artifact.size > ctx.limits.max_upload_bytes:
        raise LimitExceeded(f"{field}: {artifact.size} bytes is over the limit", field=field)
    return ctx.path(artifact).read_bytes()


def check_image(payload: bytes, limits: Limits, field: str) -> tuple[int, int]:
    """Width and height after a full decode; BadInput if it is not an image or is too big."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(payload)) as image:
            if image.width * image.height > limits.max_pixels:
                raise LimitExceeded(f"{field}: {image.width}x{image.height} is over the pixel limit "
                                    f"(max_pixels {limits.max_pixels:,})", field=field)
            image.load()
            return image.width, image.height
    except Image.DecompressionBombError as exc:
        # Pillow refuses a header over twice its own limit before ours is read: the same answer.
        raise LimitExceeded(f"{field}: over the pixel limit (max_pixels {limits.max_pixels:,}; {exc})",
                            field=field) from None
    except UnidentifiedImageError:
        raise BadInput(f"{field}: not a readable image (no image format recognised)", field=field) from None
    except (OSError, ValueError) as exc:
        raise BadInput(f"{field}: not a readable image ({exc})", field=field) from None


def _to_png(payload: bytes) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    with Image.open(io.BytesIO(payload)) as image:
        image.save(out, format="PNG")
    return out.getvalue()

"""What every page module needs: the visitor, the services, an action's checked form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from starlette.datastructures import FormData
from starlette.requests import Request

from mediamill.dashboard.auth import Visitor, visitor
from mediamill.services.context import Services
from mediamill.storage.artifact import is_artifact_id

Seen = Annotated[Visitor, Depends(visitor)]
PAGE_SIZE = 50
AUDIO_NAMES = (".m4a", ".aac", ".mp3", ".wav", ".ogg", ".opus", ".flac")


def services_of(request: Request) -> Services:
    return request.app.state.services


async def action_form(request: Request, found: Visitor) -> FormData:
    """The form of an action, once its CSRF token and the visitor's admin scope are checked."""
    form = await request.form()
    found.check_csrf(request.headers.get("x-csrf-token") or text_field(form.get("csrf")))
    found.require_admin()
    return form


def text_field(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def artifact_refs(value: Any) -> list[dict]:
    """Every artifact reference ({"artifact": "art_...", ...}) inside a job result or inputs, in order."""
    found: list[dict] = []
    if isinstance(value, dict):
        if is_artifact_id(value.get("artifact")):
            found.append(value)
        for child in value.values():
            found.extend(artifact_refs(child))
    elif isinstance(value, list):
        for child in value:
            found.extend(artifact_refs(child))
    return found


def preview_kind(mime: str | None, name: str | None = None) -> str:
    """How an artifact is previewed: image, video, audio, captions, json, text or none."""
    mime = (mime or "").lower()
    name = (name or "").lower()
    if mime in ("image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"):
        return "image"
    if name.endswith(AUDIO_NAMES):  # an .m4a sniffs as video/mp4 (same container)
        return "audio"
    if mime.startswith("video/"):
        return "video"
    if mime.startswith("audio/"):
        return "audio"
    if mime in ("text/vtt", "application/x-subrip") or name.endswith((".vtt", ".srt")):
        return "captions"
    if mime == "application/json" or mime.endswith("+json") or name.endswith(".json"):
        return "json"
    if mime.startswith("text/"):
        return "text"
    return "none"


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), 100_000)) if raw.isdigit() else 1

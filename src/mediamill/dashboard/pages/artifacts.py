"""Artifacts: the list by kind, a detail page with a real preview, and the bytes for it (ranges, captions)."""

from __future__ import annotations

import asyncio
import json
import re

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from mediamill.dashboard.pages.common import PAGE_SIZE, Seen, page_number, preview_kind, services_of
from mediamill.dashboard.render import DashboardRoute, page
from mediamill.errors import BadInput
from mediamill.services import artifacts as artifact_service
from mediamill.web.downloads import download_response

router = APIRouter(route_class=DashboardRoute)
KINDS = {"image": "image/", "video": "video/", "audio": "audio/", "text": "text/", "json": "application/json"}
PREVIEW_BYTES = 64 * 1024
_SRT_TIME = re.compile(r"(\d{2}:\d{2}:\d{2}),(\d{3})")


@router.get("/artifacts")
async def artifacts_page(request: Request, found: Seen):
    found.require_read()
    kind = request.query_params.get("kind") or None
    if kind and kind not in KINDS:
        raise BadInput(f"unknown kind {kind!r}; one of {', '.join(KINDS)}", field="kind")
    number = page_number(request)
    items = await asyncio.to_thread(artifact_service.list_artifacts, services_of(request), limit=PAGE_SIZE + 1,
                                    offset=(number - 1) * PAGE_SIZE, kind=KINDS.get(kind or ""))
    rows = [{"artifact": a, "kind": preview_kind(a.mime, a.name)} for a in items[:PAGE_SIZE]]
    return page(request, found, "artifacts.html", rows=rows, kind=kind, kinds=list(KINDS), page_no=number,
                more=len(items) > PAGE_SIZE)


@router.get("/artifacts/{artifact_id}")
async def artifact_page(artifact_id: str, request: Request, found: Seen):
    found.require_read()
    services = services_of(request)
    artifact = await asyncio.to_thread(artifact_service.get_artifact, services, artifact_id)
    kind = preview_kind(artifact.mime, artifact.name)
    text = None
    if kind in ("text", "json", "captions"):
        head = await asyncio.to_thread(artifact_service.read_head, services, artifact_id, PREVIEW_BYTES)
        text = head.decode("utf-8", errors="replace")
        if kind == "json" and artifact.size <= PREVIEW_BYTES:
            text = _pretty_json(text)
    related = await asyncio.to_thread(artifact_service.siblings, services, artifact) if kind == "video" else []
    captions = [a for a in related if preview_kind(a.mime, a.name) == "captions"]
    return page(request, found, "artifact.html", artifact=artifact, kind=kind, text=text, captions=captions,
                truncated=artifact.size > PREVIEW_BYTES)


def _pretty_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


@router.get("/artifacts/{artifact_id}/raw")
async def artifact_bytes(artifact_id: str, request: Request, found: Seen) -> Response:
    """The bytes for previews (images, players), behind the session; `Range` for seeking."""
    found.require_read()
    services = services_of(request)
    artifact = await asyncio.to_thread(artifact_service.get_artifact, services, artifact_id)
    reader = await asyncio.to_thread(services.store.open, artifact_id)
    response = download_response(artifact, reader, request.headers.get("range"), request.method)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@router.get("/artifacts/{artifact_id}/captions.vtt")
async def captions(artifact_id: str, request: Request, found: Seen) -> Response:
    """A captions artifact as WebVTT (a <track> takes nothing else); SRT is converted on the way."""
    found.require_read()
    services = services_of(request)
    artifact = await asyncio.to_thread(artifact_service.get_artifact, services, artifact_id)
    if preview_kind(artifact.mime, artifact.name) != "captions":
        raise BadInput(f"artifact {artifact_id} is {artifact.mime}, not captions", field="artifact")
    text = (await asyncio.to_thread(artifact_service.read_head, services, artifact_id, 4 * 1024 * 1024)).decode(
        "utf-8", errors="replace")
    if not text.lstrip("\ufeff").startswith("WEBVTT"):
        text = "WEBVTT\n\n" + _SRT_TIME.sub(r"\1.\2", text.replace("\r\n", "\n"))
    return Response(text, media_type="text/vtt", headers={"X-Content-Type-Options": "nosniff",
                                                          "Cache-Control": "private, max-age=300"})

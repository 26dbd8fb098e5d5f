"""Share links: make one for an artifact, list, describe and revoke them (API key), and `/s/{token}` (public).

`/s/{token}` needs no API key: the token is the credential. A link with a password takes it from the
`X-Share-Password` header or from a form POSTed to the same URL; a browser asking without one gets
a small password form.
"""

from __future__ import annotations

import asyncio
import html
from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from mediamill.api.deps import ReadKey, ServicesDep, SubmitKey
from mediamill.api.routes import problems
from mediamill.api.uploads import media_type, read_json
from mediamill.errors import BadInput, Forbidden, Unauthorized
from mediamill.services import shares as service
from mediamill.web.downloads import download_response

router = APIRouter(tags=["shares"])
public = APIRouter(tags=["shares"])

ShareId = Annotated[str, Path(max_length=64, description="the link's id (shr_...)")]
Token = Annotated[str, Path(max_length=128, description="the token in the link's URL")]
PasswordHeader = Annotated[str | None, Header(alias="X-Share-Password", max_length=200)]
MAX_FORM_BYTES = 4096


class ShareView(BaseModel):
    id: str
    artifact: str
    state: str = Field(description="active, expired, used up, revoked, artifact deleted or artifact expired")
    expires_at: datetime
    password: bool = Field(description="whether a password is asked for")
    max_downloads: int | None
    downloads: int
    remaining: int | None = Field(description="downloads left; null = unlimited")
    created_at: datetime
    created_by: str | None
    last_download_at: datetime | None
    deactivated_at: datetime | None


class CreatedShare(ShareView):
    url: str = Field(description="the public link; shown this once (only a hash of its token is kept)")
    token: str


SHARE_BODY = {"requestBody": {"required": False, "content": {"application/json": {
    "schema": service.ShareRequest.model_json_schema(by_alias=False)}}}}


@router.post("/v1/artifacts/{artifact_id}/shares", status_code=201, response_model=CreatedShare,
             openapi_extra=SHARE_BODY, responses=problems(401, 403, 404, 422))
async def create_share(artifact_id: str, request: Request, services: ServicesDep, key: SubmitKey) -> JSONResponse:
    """A public link to the artifact: `expires_at` or `expires_in_hours` (default `shares.default_expiry_hours`),
    optional `password` (at least `shares.min_password_length` characters) and `max_downloads`."""
    body = await read_json(request) if await _has_body(request) else None
    view = await service.create_share(services, artifact_id, body, created_by=key.id or None)
    return JSONResponse(CreatedShare.model_validate(view).model_dump(mode="json"), status_code=201,
                        headers={"Location": f"{services.settings.base_url}/v1/shares/{view['id']}"})


async def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return bool(length and length != "0") or "chunked" in request.headers.get("transfer-encoding", "")


@router.get("/v1/artifacts/{artifact_id}/shares", response_model=list[ShareView], responses=problems(401, 403))
async def list_artifact_shares(artifact_id: str, services: ServicesDep, key: ReadKey,
                               active: Annotated[bool, Query(description="only links not deactivated")] = False,
                               ) -> list[dict]:
    """The artifact's share links, newest first, with their download counts."""
    return await asyncio.to_thread(service.list_shares, services, artifact_id, active_only=active)


@router.get("/v1/shares", response_model=list[ShareView], responses=problems(401, 403, 422))
async def list_shares(services: ServicesDep, key: ReadKey,
                      active: Annotated[bool, Query(description="only links not deactivated")] = False,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict]:
    """Every share link, newest first."""
    return await asyncio.to_thread(service.list_shares, services, None, active_only=active, limit=limit)


@router.get("/v1/shares/{share_id}", response_model=ShareView, responses=problems(401, 403, 404))
async def get_share(share_id: ShareId, services: ServicesDep, key: ReadKey) -> dict:
    """One share link: its state and counts."""
    return await asyncio.to_thread(service.get_share, services, share_id)


@router.delete("/v1/shares/{share_id}", response_model=ShareView, responses=problems(401, 403, 404))
async def revoke_share(share_id: ShareId, services: ServicesDep, key: SubmitKey) -> dict:
    """Revoke a share link: `/s/{token}` answers 410 from now on."""
    return await asyncio.to_thread(service.revoke_share, services, share_id)


OPEN_RESPONSES = {200: {"content": {"application/octet-stream": {}}, "description": "the bytes"},
                  206: {"description": "one byte range"}, **problems(401, 403, 404, 410, 416, 429)}


@public.get("/s/{token}", responses=OPEN_RESPONSES)
async def open_share(token: Token, request: Request, services: ServicesDep,
                     password: PasswordHeader = None) -> Response:
    """The shared file. Counts a download (HEAD and, on links without a limit, ranges past byte 0 do not);
    401 when a password is needed, 403 when it is wrong (429 after too many), 410 when expired, revoked
    or used up."""
    return await _serve(token, request, services, password)


@public.head("/s/{token}", include_in_schema=False)
async def open_share_head(token: Token, request: Request, services: ServicesDep,
                          password: PasswordHeader = None) -> Response:
    return await _serve(token, request, services, password)


@public.post("/s/{token}", responses=OPEN_RESPONSES, openapi_extra={"requestBody": {"content": {
    "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
        "password": {"type": "string"}}}}}}})
async def open_share_with_password(token: Token, request: Request, services: ServicesDep,
                                   password: PasswordHeader = None) -> Response:
    """The password form's target: `password` as a form field (or the header), then the file."""
    if media_type(request) == "application/x-www-form-urlencoded":
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_FORM_BYTES:
                raise BadInput("the form is too large", field="password")
        password = (parse_qs(raw.decode("utf-8", "replace")).get("password") or [password])[0]
    return await _serve(token, request, services, password, method="GET")


async def _serve(token: str, request: Request, services: ServicesDep, password: str | None,
                 method: str | None = None) -> Response:
    method = method or request.method
    try:
        artifact, reader = await service.open_share(services, token, password, method,
                                                    request.headers.get("range"))
    except (Unauthorized, Forbidden) as exc:
        if "text/html" not in request.headers.get("accept", "") or exc.field != "password":
            raise
        # A browser gets the form (again, saying why, after a wrong password).
        note = "" if isinstance(exc, Unauthorized) else '<p role="alert" style="color: #b42318">Wrong password.</p>'
        return HTMLResponse(_PASSWORD_FORM.format(action=html.escape(f"/s/{token}"), note=note),
                            status_code=exc.status_code)
    return download_response(artifact, reader, request.headers.get("range"), method)


_PASSWORD_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Password needed</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 26rem; margin: 4rem auto; padding: 0 1rem">
<h1 style="font-size: 1.3rem">This shared file needs a password</h1>
{note}<form method="post" action="{action}">
<label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required
 style="width: 100%; padding: .5rem; margin: .5rem 0 1rem">
<button type="submit" style="padding: .5rem 1.2rem">Download</button>
</form></body></html>
"""

"""/v1/artifacts: upload (streamed to storage), describe with a signed link, download (ranges), delete."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mediamill.api.deps import ReadKey, ServicesDep, SubmitKey
from mediamill.api.models import ArtifactView
from mediamill.api.routes import problems
from mediamill.api.uploads import UploadedFile, media_type, parse_json, read_body, read_multipart, read_raw
from mediamill.errors import BadInput, describe_validation_error, first_invalid_field
from mediamill.services import analytics as analytics_service
from mediamill.services import artifacts as artifact_service
from mediamill.web.downloads import content_disposition, download_response

router = APIRouter(prefix="/v1/artifacts", tags=["artifacts"])

UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
}}}


@router.post("", status_code=201, response_model=ArtifactView, openapi_extra=UPLOAD_BODY,
             responses=problems(401, 403, 413, 422))
async def upload_artifact(request: Request, services: ServicesDep, key: SubmitKey,
                          name: Annotated[str | None, Query(max_length=255, description="file name (raw bodies)")] = None,
                          expires_in_hours: Annotated[float | None, Query(gt=0, le=24 * 365 * 10, description=(
                              "delete it this many hours from now (unset: kept until deleted)"))] = None,
                          ) -> JSONResponse:
    """Store one file: multipart field `file`, or the raw body. The MIME type comes from the content.
    Each upload is a new artifact, even of bytes uploaded before (they share storage, not the id)."""
    limit = services.settings.limits.max_upload_bytes
    tmp = services.settings.resolved_data_dir / "tmp" / "uploads"
    if media_type(request) == "multipart/form-data":
        form = await read_multipart(request, tmp, limit)
        if len(form.files) != 1:
            form.cleanup()
            raise BadInput(f"send exactly one file (multipart field 'file'), got {len(form.files)}", field="file")
        upload: UploadedFile = form.files[0]
    else:
        upload = await read_raw(request, tmp, limit, name)
    try:
        artifact = await asyncio.to_thread(artifact_service.store_upload, services, upload.path,
                                           name or upload.filename, expires_in_hours)
    finally:
        upload.path.unlink(missing_ok=True)
    view = artifact_service.artifact_view(services, artifact)
    return JSONResponse(ArtifactView.model_validate(view).model_dump(mode="json"), status_code=201,
                        headers={"Location": f"{services.settings.base_url}/v1/artifacts/{artifact.id}"})


class DirectUploadLinks(BaseModel):
    upload: str = Field(description="the upload's id, for the confirm call")
    max_bytes: int = Field(description="the upload limit; S3 refuses a larger POST")
    expires_at: datetime = Field(description="the links below stop working then")
    post: dict = Field(description="`url` and `fields`: a multipart/form-data POST to S3 with these fields, "
                                   "then the file as the last field `file`")
    put: dict = Field(description="`url`: or a plain PUT of the bytes to S3")


class DirectUploadConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=255, description="the file's name")
    expires_in_hours: float | None = Field(None, gt=0, le=24 * 365 * 10,
                                           description="delete it this many hours from now (unset: kept)")


@router.post("/uploads", status_code=201, response_model=DirectUploadLinks, responses=problems(401, 403, 409))
async def start_direct_upload(services: ServicesDep, key: SubmitKey) -> dict:
    """Large files straight to S3: presigned POST and PUT links (one hour) for the bytes, which never
    pass through the API; then `POST /v1/artifacts/uploads/{upload}/confirm` makes the artifact.
    409 unless the storage is S3."""
    return await asyncio.to_thread(artifact_service.start_direct_upload, services)


CONFIRM_BODY = {"requestBody": {"required": False, "content": {"application/json": {
    "schema": DirectUploadConfirm.model_json_schema()}}}}


@router.post("/uploads/{upload_id}/confirm", status_code=201, response_model=ArtifactView,
             openapi_extra=CONFIRM_BODY, responses=problems(401, 403, 404, 413, 422))
async def confirm_direct_upload(upload_id: str, request: Request, services: ServicesDep,
                                key: SubmitKey) -> JSONResponse:
    """The bytes sent to S3 for this upload become an artifact (as `POST /v1/artifacts` would make);
    404 when nothing was uploaded or it was confirmed already. The body (name, expiry) is optional."""
    # Read here, like every JSON body of this API: a body that is not JSON is a 422 naming it.
    raw = await read_body(request)
    try:
        body = DirectUploadConfirm.model_validate(parse_json(raw)) if raw.strip() else DirectUploadConfirm()
    except ValidationError as exc:
        raise BadInput(describe_validation_error(exc), field=first_invalid_field(exc)) from None
    artifact = await asyncio.to_thread(artifact_service.confirm_direct_upload, services, upload_id, body.name,
                                       body.expires_in_hours)
    view = artifact_service.artifact_view(services, artifact)
    return JSONResponse(ArtifactView.model_validate(view).model_dump(mode="json"), status_code=201,
                        headers={"Location": f"{services.settings.base_url}/v1/artifacts/{artifact.id}"})


@router.get("/{artifact_id}", response_model=ArtifactView, responses=problems(401, 403, 404))
async def get_artifact(artifact_id: str, services: ServicesDep, key: ReadKey) -> dict:
    """The artifact's record and a signed download link (valid one hour, never past the artifact's expiry)."""
    artifact = await asyncio.to_thread(artifact_service.get_artifact, services, artifact_id)
    return artifact_service.artifact_view(services, artifact)


class DeletedArtifact(BaseModel):
    artifact: str
    derived: list[str] = Field(description="artifacts derived from it (thumbnails, variants...), at any depth")
    deleted: list[str] = Field(description="every id deleted (empty on a dry run)")
    bytes: int = Field(description="bytes freed (a blob another artifact still uses stays and is not counted)")
    links_deactivated: int = Field(description="share links of these artifacts now refused")
    dry_run: bool


@router.delete("/{artifact_id}", response_model=DeletedArtifact, responses=problems(401, 403, 404))
async def delete_artifact(artifact_id: str, services: ServicesDep, key: SubmitKey,
                          dry_run: Annotated[bool, Query(description="only say what would be deleted")] = False,
                          ) -> dict:
    """Delete the artifact and everything derived from it (recorded lineage); their share links stop working."""
    return await asyncio.to_thread(artifact_service.delete_artifact, services, artifact_id, dry_run=dry_run)


DOWNLOAD_RESPONSES = {200: {"content": {"application/octet-stream": {}}, "description": "the bytes"},
                      206: {"description": "one byte range"},
                      302: {"description": "S3 storage: the bytes are at the presigned URL in Location"}, **problems(403, 404, 416, 422)}


@router.get("/{artifact_id}/download", responses=DOWNLOAD_RESPONSES)
async def download_artifact(artifact_id: str, request: Request, services: ServicesDep,
                            exp: Annotated[int | None, Query(description="expiry, Unix seconds")] = None,
                            sig: Annotated[str | None, Query(max_length=128, description="HMAC signature")] = None,
                            ) -> Response:
    """The bytes, for a signed link (no API key needed). Supports `Range: bytes=...` for seeking.

    With S3 storage (and `storage_redirect_downloads`, the default) the answer is a 302 to a
    presigned S3 URL of the bytes, which honours `Range` too."""
    artifact, source = await asyncio.to_thread(artifact_service.open_download, services, artifact_id, exp, sig,
                                               content_disposition)
    if request.method == "GET":
        await analytics_service.record_download(services, artifact.id, request.headers.get("range"))
    if isinstance(source, str):
        return RedirectResponse(source, status_code=302, headers={"Cache-Control": "no-store"})
    return download_response(artifact, source, request.headers.get("range"), request.method)


@router.head("/{artifact_id}/download", include_in_schema=False)
async def download_artifact_head(artifact_id: str, request: Request, services: ServicesDep,
                                 exp: int | None = None, sig: str | None = None) -> Response:
    return await download_artifact(artifact_id, request, services, exp, sig)

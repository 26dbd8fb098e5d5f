"""The reel seed's (003) own HTTP API, so its app keeps its calls: `POST /api/generate` and `GET /api/jobs/:jobId`.

A thin compatibility layer over /v1/jobs: the body is video.tweet_reel's params in the seed's field
names, and a job reads back as the seed's job manager showed it (status, progress, currentStep).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from mediamill.api.deps import ReadKey, ServicesDep, SubmitKey
from mediamill.api.routes import problems
from mediamill.api.uploads import read_json_object
from mediamill.engine.wire import JobRequest
from mediamill.errors import NotFound
from mediamill.services import jobs as job_service

TASK = "video.tweet_reel"
router = APIRouter(prefix="/api", tags=["seed 003 (tweet reel)"])

# mediamill's status -> the seed's; a cancelled job is a failed one to the seed's app.
_STATUS = {"queued": "pending", "delayed": "pending", "waiting-children": "pending", "active": "processing",
           "completed": "completed", "failed": "failed", "cancelled": "failed"}
# video.tweet_reel's steps -> the seed's step names (its worker renders, composes, then saves).
_STEP = {"validate": "generating_screenshot", "assets": "generating_screenshot", "prepare": "composing_video",
         "encode": "composing_video", "store": "saving_file"}
GENERATE_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["tweetBody", "profileName", "username"], "properties": {
        "tweetBody": {"type": "string"}, "profilePhotoUrl": {"type": "string"}, "profileName": {"type": "string"},
        "username": {"type": "string"}, "theme": {"enum": ["light", "dark"]}}}}}}}


class Generated(BaseModel):
    jobId: str  # noqa: N815 - the seed's name


class SeedJob(BaseModel):
    id: str
    status: Literal["pending", "processing", "completed", "failed"]
    progress: int = Field(ge=0, le=100)
    currentStep: str | None = None  # noqa: N815 - the seed's name
    result: Any = Field(None, description="filename, downloadUrl, expiresAt, fileSize, duration, resolution")
    error: dict | None = None
    createdAt: Any = None  # noqa: N815
    completedAt: Any = None  # noqa: N815


@router.post("/generate", response_model=Generated, openapi_extra=GENERATE_BODY, responses=problems(401, 403, 415, 422))
async def generate(request: Request, services: ServicesDep, key: SubmitKey) -> dict:
    """The seed's createJob: its fields (tweetBody, profileName, username, profilePhotoUrl, theme) as written."""
    body = await read_json_object(request, " (tweetBody, profileName, username, ...)")
    # The seed's app sends every field, unset ones as null; null means "the default" here.
    params = {k: v for k, v in body.items() if v is not None}
    view = await job_service.submit_job(services, JobRequest(task=TASK, params=params))
    return {"jobId": view["id"]}


@router.get("/jobs/{jobId}", response_model=SeedJob, responses={404: {"description": "{error: 'Job not found'}"},
                                                              **problems(401, 403)})
async def get_seed_job(jobId: str, services: ServicesDep, key: ReadKey):  # noqa: N803 - the seed's path name
    """The job as the seed's job manager returned it: status, progress (0-100), currentStep, result, error."""
    try:
        view = await job_service.get_job(services, jobId)
    except NotFound:
        view = None
    if view is None or view["task"] != TASK:
        return JSONResponse({"error": "Job not found"}, status_code=404)
    return seed_job(view)


def seed_job(view: dict) -> dict:
    status = _STATUS.get(view["status"], "pending")
    step = _STEP.get((view["step"] or "").split(" ")[0], view["step"])  # "encode 12/150" is encode
    if status == "completed":
        step = "completed"
    elif status == "processing" and step is None:  # started, nothing reported yet: the seed's first step
        step = "generating_screenshot"
    return {"id": view["id"], "status": status, "progress": round(view["progress"] or 0), "currentStep": step,
            "result": view["result"], "error": view["error"], "createdAt": view["created_at"],
            "completedAt": view["finished_at"]}

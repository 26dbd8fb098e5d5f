"""/v1/tasks: the catalog of tasks with the JSON schema of each task's params, and the families missing."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from mediamill.api.deps import ReadKey
from mediamill.api.models import TaskInfo, UnavailableTasks
from mediamill.api.routes import problems
from mediamill.services.catalog import task_catalog, unavailable_tasks

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])


@router.get("", response_model=list[TaskInfo], responses=problems(401, 403))
async def list_tasks(key: ReadKey) -> list[dict]:
    """Every task this installation knows, its queue, its inputs and its params' JSON schema."""
    return await asyncio.to_thread(task_catalog)


@router.get("/unavailable", response_model=list[UnavailableTasks], responses=problems(401, 403))
async def list_unavailable(key: ReadKey) -> list[dict]:
    """Task families this installation has but cannot load (their tasks are absent from GET /v1/tasks),
    each with its import error; empty when every family loaded."""
    return await asyncio.to_thread(unavailable_tasks)

"""/v1/tasks: the catalog of tasks with the JSON schema of each task's params."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from mediamill.api.deps import ReadKey
from mediamill.api.models import TaskInfo
from mediamill.api.routes import problems
from mediamill.services.catalog import task_catalog

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])


@router.get("", response_model=list[TaskInfo], responses=problems(401, 403))
async def list_tasks(key: ReadKey) -> list[dict]:
    """Every task this installation knows, its queue, its inputs and its params' JSON schema."""
    return await asyncio.to_thread(task_catalog)

"""Small helpers the text tasks share: input size limits, JSON/text outputs, speaking time."""

from __future__ import annotations

import asyncio
import json
from typing import Literal

from mediamill.errors import LimitExceeded
from mediamill.storage.artifact import Artifact
from mediamill.tasks import TaskContext

ProviderChoice = Literal["auto", "offline"]
# A voice-over is read at roughly 150 words a minute.
WORDS_PER_SECOND = 2.5


def check_chars(ctx: TaskContext, size: int, field: str) -> None:
    limit = ctx.limits.max_text_chars
    if size > limit:
        raise LimitExceeded(f"{field} holds {size} characters, over the limit of {limit}", field=field)


async def put_json(ctx: TaskContext, data: dict, name: str) -> Artifact:
    payload = json.dumps(data, ensure_ascii=False, indent=2).encode()
    # Storage may be S3: keep the blocking write off the worker's event loop.
    return await asyncio.to_thread(ctx.put, payload, name=name, mime="application/json")


async def put_text(ctx: TaskContext, text: str, name: str, mime: str = "text/plain") -> Artifact:
    return await asyncio.to_thread(ctx.put, text.encode(), name=name, mime=mime)


def speaking_seconds(text: str) -> float:
    return round(len(text.split()) / WORDS_PER_SECOND, 1)

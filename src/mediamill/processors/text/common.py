"""Small helpers the text tasks share: input size limits, JSON/text outputs, speaking time."""

from __future__ import annotations

import asyncio
import json
from typing import Literal

from mediamill.errors import BadInput, LimitExceeded
from mediamill.storage.artifact import Artifact
from mediamill.tasks import TaskContext

# auto: MEDIAMILL_LLM_PROVIDER decides; offline: the rule-based writers; local: the GGUF model in-process.
ProviderChoice = Literal["auto", "offline", "local"]
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


def read_text_input(ctx: TaskContext, artifact: Artifact) -> str:
    """The UTF-8 text of a text or JSON input, within the text limit."""
    if not (artifact.mime.startswith("text/") or artifact.mime == "application/json"):
        raise BadInput(f"input {artifact.name or artifact.id} is {artifact.mime}, not text or JSON", field="inputs")
    check_chars(ctx, artifact.size, "inputs")  # bytes >= characters: a cheap bound before reading
    with ctx.open(artifact) as reader:
        raw = reader.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"input {artifact.name or artifact.id} is not UTF-8 text", field="inputs") from None


def read_json_input(ctx: TaskContext, artifact: Artifact) -> dict:
    text = read_text_input(ctx, artifact)
    try:
        data = json.loads(text)
    except ValueError:
        raise BadInput(f"input {artifact.name or artifact.id} is not valid JSON", field="inputs") from None
    if not isinstance(data, dict):
        raise BadInput(f"input {artifact.name or artifact.id} must hold a JSON object", field="inputs")
    return data

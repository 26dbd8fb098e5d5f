"""Turning `attachments` into bytes: inline content from the job, artifacts from the store; sizes checked."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from mediamill.errors import BadInput, LimitExceeded, NotFound
from mediamill.processors.messaging.params import Attachment
from mediamill.settings import EmailSettings
from mediamill.storage.base import ArtifactStore


@dataclass(frozen=True)
class Part:
    filename: str
    content_type: str
    data: bytes


def load_attachments(items: list[Attachment], store: ArtifactStore, config: EmailSettings) -> list[Part]:
    """Every attachment's bytes, or BadInput / LimitExceeded naming `attachments[i]` (nothing is sent)."""
    parts, total = [], 0
    for index, item in enumerate(items):
        where = f"attachments[{index}]"
        if item.artifact is not None:
            part = _from_artifact(item, store, where, config.max_attachment_bytes - total)
        else:
            try:
                data = item.inline_bytes()
            except ValueError as exc:
                raise BadInput(f"{where}.content: {exc}", field=f"{where}.content") from None
            if len(data) > config.max_inline_attachment_bytes:
                raise LimitExceeded(
                    f"{where}.content is {len(data)} bytes; inline content is limited to "
                    f"{config.max_inline_attachment_bytes} (store the file and attach the artifact)",
                    field=f"{where}.content")
            part = Part(item.filename or "attachment", _content_type(item, item.filename), data)
        total += len(part.data)
        if total > config.max_attachment_bytes:
            raise LimitExceeded(f"attachments add up to more than {config.max_attachment_bytes} bytes "
                                f"(at {where})", field=where)
        parts.append(part)
    return parts


def _from_artifact(item: Attachment, store: ArtifactStore, where: str, room: int) -> Part:
    try:
        artifact = store.stat(item.artifact or "")
    except NotFound:
        raise BadInput(f"{where}.artifact {item.artifact!r} does not exist (or has expired)",
                       field=f"{where}.artifact") from None
    if artifact.size > room:
        raise LimitExceeded(f"{where}.artifact is {artifact.size} bytes, more than the {room} bytes left "
                            "for this message's attachments", field=f"{where}.artifact")
    with store.open(artifact.id) as handle:
        data = handle.read()
    filename = item.filename or artifact.name or artifact.id
    return Part(filename, item.content_type or artifact.mime or _content_type(item, filename), data)


def _content_type(item: Attachment, filename: str | None) -> str:
    if item.content_type:
        return item.content_type
    guessed, _ = mimetypes.guess_type(filename or "")
    return guessed or "application/octet-stream"

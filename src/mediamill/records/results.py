"""What a job's result says it made: the artifacts its references name (recorded with the job)."""

from __future__ import annotations

from typing import Any

from mediamill.engine.wire import artifact_refs
from mediamill.storage.artifact import Artifact


def artifacts_in(result: Any, job_id: str) -> list[Artifact]:
    made = []
    for ref in artifact_refs(result):
        made.append(Artifact(id=ref["artifact"], sha256=ref["sha256"], size=ref.get("size") or 0,
                             mime=ref.get("mime") or "application/octet-stream", name=ref.get("name"),
                             expires_at=ref.get("expiresAt"), source=ref.get("source"), job=job_id))
    return made

"""The local artifact store: a content-addressed directory (blobs by sha256, one JSON per artifact)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from mediamill.errors import NotFound
from mediamill.storage.artifact import Artifact, is_artifact_id
from mediamill.storage.base import ArtifactStore


class LocalStore(ArtifactStore):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        for sub in ("blobs", "meta", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    def blob_path(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256[:2] / sha256[2:4] / sha256

    def _meta_path(self, artifact_id: str) -> Path:
        if not is_artifact_id(artifact_id) or not artifact_id.replace("_", "").isalnum():
            raise NotFound(f"no artifact {artifact_id!r}", field="artifact")
        return self.root / "meta" / f"{artifact_id}.json"

    def _store_blob(self, staged: Path, sha256: str) -> None:
        target = self.blob_path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)

    def _write_meta(self, artifact: Artifact) -> None:
        path = self._meta_path(artifact.id)
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        tmp.write_text(artifact.model_dump_json())
        os.replace(tmp, path)

    def stat(self, artifact_id: str) -> Artifact:
        path = self._meta_path(artifact_id)
        try:
            return Artifact.model_validate_json(path.read_text())
        except FileNotFoundError:
            raise NotFound(f"no artifact {artifact_id!r}", field="artifact") from None

    def open(self, artifact_id: str) -> BinaryIO:
        return open(self.local_path(artifact_id), "rb")

    def local_path(self, artifact_id: str, scratch: Path | None = None) -> Path:
        path = self.blob_path(self.stat(artifact_id).sha256)
        if not path.exists():
            raise NotFound(f"the bytes of artifact {artifact_id!r} are gone", field="artifact")
        return path

    def delete(self, artifact_id: str) -> None:
        artifact = self.stat(artifact_id)
        self._meta_path(artifact_id).unlink(missing_ok=True)
        if not any(other.sha256 == artifact.sha256 for other in self.iter_artifacts()):
            self.blob_path(artifact.sha256).unlink(missing_ok=True)

    def iter_artifacts(self) -> Iterator[Artifact]:
        for path in (self.root / "meta").glob("art_*.json"):
            try:
                yield Artifact.model_validate(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue

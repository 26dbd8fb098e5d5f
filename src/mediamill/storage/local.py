"""The local artifact store: a content-addressed directory (blobs by sha256, one JSON per artifact).

Several artifacts may share a blob (same bytes). Each artifact claims its blob with an empty file
`refs/<sha256>/<artifact id>`, and the blob goes when its last claim does, so a delete looks at one
small directory instead of every artifact's metadata. Claiming and releasing a blob hold an
exclusive lock on it (flock), so a put and a delete of the same bytes in two processes cannot
leave an artifact without its blob.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from mediamill.errors import NotFound
from mediamill.storage.artifact import Artifact, is_artifact_id
from mediamill.storage.base import ArtifactStore

# Written once every artifact of a store has claimed its blob (stores from before claims existed
# are brought up to date when first opened).
REFS_COMPLETE = ".claims-complete"


class LocalStore(ArtifactStore):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        for sub in ("blobs", "meta", "tmp", "refs"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        if not (self.root / "refs" / REFS_COMPLETE).exists():
            self._claim_existing()

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    def blob_path(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256[:2] / sha256[2:4] / sha256

    def _meta_path(self, artifact_id: str) -> Path:
        if not is_artifact_id(artifact_id) or not artifact_id.replace("_", "").isalnum():
            raise NotFound(f"no artifact {artifact_id!r}", field="artifact")
        return self.root / "meta" / f"{artifact_id}.json"

    def _refs_dir(self, sha256: str) -> Path:
        return self.root / "refs" / sha256[:2] / sha256

    @contextlib.contextmanager
    def _blob_lock(self, sha256: str) -> Iterator[None]:
        # Striped by the hash's first 3 hex digits: at most 4,096 lock files, however many blobs
        # come and go (a lock file per blob could never be deleted safely, and would pile up).
        lock = self.root / "refs" / "locks" / f"{sha256[:3]}.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        with open(lock, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _store_blob(self, staged: Path, sha256: str, artifact_id: str) -> None:
        target = self.blob_path(sha256)
        with self._blob_lock(sha256):
            refs = self._refs_dir(sha256)
            refs.mkdir(parents=True, exist_ok=True)
            (refs / artifact_id).touch()
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, target)

    def _write_meta(self, artifact: Artifact) -> None:
        path = self._meta_path(artifact.id)
        previous = self._stat_or_none(artifact.id)
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        tmp.write_text(artifact.model_dump_json())
        os.replace(tmp, path)
        if previous is not None and previous.sha256 != artifact.sha256:
            self._release(previous.sha256, artifact.id)  # the same key was put again with new bytes

    def _stat_or_none(self, artifact_id: str) -> Artifact | None:
        try:
            return self.stat(artifact_id)
        except NotFound:
            return None

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
        self._release(artifact.sha256, artifact_id)

    def _release(self, sha256: str, artifact_id: str) -> None:
        """Drop one artifact's claim on a blob; delete the blob when nobody else claims it."""
        with self._blob_lock(sha256):
            refs = self._refs_dir(sha256)
            (refs / artifact_id).unlink(missing_ok=True)
            still_claimed = refs.is_dir() and any(refs.iterdir())
            if not still_claimed:
                self.blob_path(sha256).unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    refs.rmdir()

    def _claim_existing(self) -> None:
        """Once per store made before claims existed: claim every blob for the artifacts using it."""
        for artifact in self.iter_artifacts():
            refs = self._refs_dir(artifact.sha256)
            refs.mkdir(parents=True, exist_ok=True)
            (refs / artifact.id).touch()
        (self.root / "refs" / REFS_COMPLETE).touch()

    def iter_artifacts(self) -> Iterator[Artifact]:
        for path in (self.root / "meta").glob("art_*.json"):
            try:
                yield Artifact.model_validate(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue

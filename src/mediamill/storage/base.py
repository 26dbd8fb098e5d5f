"""The artifact store interface every backend (local directory, S3) implements."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from mediamill.constants import ARTIFACT_ID_PREFIX
from mediamill.errors import Conflict, LimitExceeded, NotFound
from mediamill.storage.artifact import Artifact, artifact_id_for_key
from mediamill.storage.mime import SNIFF_BYTES, sniff

CHUNK = 1024 * 1024
Source = Path | str | bytes | BinaryIO


class StagedFile:
    """Bytes copied to a temporary file while hashing, sniffing and counting them (one pass)."""

    def __init__(self, path: Path, sha256: str, size: int, mime: str) -> None:
        self.path, self.sha256, self.size, self.mime = path, sha256, size, mime


def stage(source: Source, tmp_dir: Path, max_bytes: int | None = None, mime: str | None = None) -> StagedFile:
    """`mime`, when the caller names the type, is kept as it is: sniffing then costs ~1 ms for nothing."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    target = tmp_dir / f"stage-{secrets.token_hex(8)}"
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with _reader(source) as reader, open(target, "wb") as out:
            while chunk := reader.read(CHUNK):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise LimitExceeded(f"input is larger than the limit of {max_bytes} bytes")
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return StagedFile(target, digest.hexdigest(), size, mime or sniff(head))


class _reader:
    def __init__(self, source: Source) -> None:
        self.source, self.handle = source, None

    def __enter__(self) -> BinaryIO:
        if isinstance(self.source, bytes):
            import io

            return io.BytesIO(self.source)
        if isinstance(self.source, str | Path):
            self.handle = open(self.source, "rb")
            return self.handle
        return self.source

    def __exit__(self, *exc: object) -> None:
        if self.handle:
            self.handle.close()


class ArtifactStore(ABC):
    """put/open/stat over content-addressed bytes; metadata lives beside the bytes."""

    def put(
        self,
        source: Source,
        *,
        name: str | None = None,
        mime: str | None = None,
        metadata: dict | None = None,
        key: str | None = None,
        expires_at: datetime | None = None,
        source_artifact: str | None = None,
        job: str | None = None,
        max_bytes: int | None = None,
    ) -> Artifact:
        """Store bytes. `key` makes the id deterministic; otherwise the id follows the content."""
        staged = stage(source, self.tmp_dir, max_bytes, mime)
        try:
            artifact_id = artifact_id_for_key(key) if key else ARTIFACT_ID_PREFIX + staged.sha256[:24]
            artifact = Artifact(
                id=artifact_id,
                sha256=staged.sha256,
                size=staged.size,
                mime=staged.mime,
                name=_safe_name(name),
                metadata=metadata or {},
                expires_at=expires_at,
                source=source_artifact,
                job=job,
            )
            self._store_blob(staged.path, staged.sha256, artifact.id)
            self._write_meta(artifact)
            return artifact
        finally:
            staged.path.unlink(missing_ok=True)

    def update_metadata(self, artifact_id: str, metadata: dict) -> Artifact:
        artifact = self.stat(artifact_id)
        artifact.metadata = {**artifact.metadata, **metadata}
        self._write_meta(artifact)
        return artifact

    def presign_upload(self, upload_id: str, *, max_bytes: int, expires_in_s: int) -> dict:
        """Where a client may send an upload's bytes itself (S3: a presigned POST and PUT)."""
        raise Conflict("direct uploads need S3 storage (MEDIAMILL_STORAGE_URL=s3://...); with this storage, "
                       "upload through POST /v1/artifacts", field="storage")

    def open_upload(self, upload_id: str) -> tuple[int, BinaryIO]:
        """(size, reader) of a direct upload's bytes; NotFound when nothing was uploaded under that id."""
        raise NotFound(f"no upload {upload_id[:80]!r}", field="upload")

    def drop_upload(self, upload_id: str) -> None:
        """Forget a direct upload's bytes (after they became an artifact)."""
        raise NotFound(f"no upload {upload_id[:80]!r}", field="upload")

    def direct_url(self, artifact: Artifact, *, expires_in_s: int, disposition: str) -> str | None:
        """A URL that serves the bytes without going through mediamill (S3: presigned), or None."""
        return None

    @property
    @abstractmethod
    def tmp_dir(self) -> Path: ...

    @abstractmethod
    def stat(self, artifact_id: str) -> Artifact:
        """The artifact's record; NotFound if unknown."""

    @abstractmethod
    def open(self, artifact_id: str) -> BinaryIO:
        """A binary reader over the artifact's bytes."""

    @abstractmethod
    def local_path(self, artifact_id: str, scratch: Path | None = None) -> Path:
        """A local file with the bytes (the blob itself for a local store, a copy for remote ones)."""

    @abstractmethod
    def delete(self, artifact_id: str) -> None:
        """Forget the artifact; its bytes go when no other artifact shares them."""

    @abstractmethod
    def iter_artifacts(self) -> Iterator[Artifact]: ...

    @abstractmethod
    def _store_blob(self, staged: Path, sha256: str, artifact_id: str) -> None:
        """Keep the staged bytes as the blob `sha256`, claimed by `artifact_id`."""

    @abstractmethod
    def _write_meta(self, artifact: Artifact) -> None: ...

    def exists(self, artifact_id: str) -> bool:
        try:
            self.stat(artifact_id)
        except NotFound:
            return False
        return True

    def ping(self) -> None:  # noqa: B027 - optional hook: local stores always answer
        """Raise if the backend is unreachable (readiness checks)."""

    def copy_to(self, artifact_id: str, target: Path) -> Path:
        with self.open(artifact_id) as reader, open(target, "wb") as out:
            shutil.copyfileobj(reader, out, CHUNK)
        return target


def _safe_name(name: str | None) -> str | None:
    """Only the final path component, without control characters; it ends up in headers."""
    if not name:
        return None
    name = os.path.basename(name.replace("\\", "/"))
    cleaned = "".join(ch for ch in name if ch.isprintable() and ch not in '"\r\n')
    return cleaned[:200] or None

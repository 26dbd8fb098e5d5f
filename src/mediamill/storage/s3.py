"""The S3-compatible artifact store (AWS S3, MinIO, R2, Ceph...): blobs by sha256, one JSON per artifact.

Layout under `s3://bucket/prefix`:
    <prefix>/blobs/<sha256>          the bytes, shared by every artifact with that content
    <prefix>/meta/<artifact id>.json the artifact record
    <prefix>/refs/<sha256>/<id>      an empty marker per artifact using a blob, so deleting an
                                     artifact can tell in one LIST whether its blob is still needed
Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE,
instance roles...).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlparse

from mediamill.errors import ConfigError, NotFound
from mediamill.settings import runtime_settings
from mediamill.storage.artifact import Artifact, is_artifact_id
from mediamill.storage.base import CHUNK, ArtifactStore

_MISSING = {"404", "NoSuchKey", "NotFound"}
PRESIGN_MAX_S = 7 * 24 * 3600  # SigV4's longest presigned URL


class S3Store(ArtifactStore):
    def __init__(self, bucket: str, prefix: str = "", *, tmp_root: Path, client: Any = None,
                 endpoint_url: str | None = None, region: str | None = None,
                 transfer_config: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._tmp = Path(tmp_root)
        self.client = client or _make_client(endpoint_url, region)
        self.transfer_config = transfer_config

    @classmethod
    def from_url(cls, url: str, *, endpoint_url: str | None = None, tmp_root: Path,
                 **kwargs: Any) -> S3Store:
        """`s3://bucket/prefix` (optionally `?region=eu-west-1`)."""
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ConfigError(f"an S3 storage URL looks like s3://bucket/prefix, got {url!r}")
        region = parse_qs(parsed.query).get("region", [None])[0]
        return cls(parsed.netloc, parsed.path, tmp_root=tmp_root, endpoint_url=endpoint_url,
                   region=kwargs.pop("region", region), **kwargs)

    def __repr__(self) -> str:
        return f"S3Store(s3://{self.bucket}/{self.prefix})"

    # -- keys ----------------------------------------------------------------------------
    def _key(self, *parts: str) -> str:
        return "/".join(part for part in (self.prefix, *parts) if part)

    def blob_key(self, sha256: str) -> str:
        return self._key("blobs", sha256)

    def _meta_key(self, artifact_id: str) -> str:
        if not is_artifact_id(artifact_id) or not artifact_id.replace("_", "").isalnum():
            raise NotFound(f"no artifact {artifact_id!r}", field="artifact")
        return self._key("meta", f"{artifact_id}.json")

    def _ref_key(self, sha256: str, artifact_id: str = "") -> str:
        return self._key("refs", sha256, artifact_id) + ("" if artifact_id else "/")

    @property
    def tmp_dir(self) -> Path:
        return self._tmp

    @property
    def cache_dir(self) -> Path:
        return self._tmp / "s3-cache"

    # -- writing (called by ArtifactStore.put) --------------------------------------------
    def _store_blob(self, staged: Path, sha256: str, artifact_id: str) -> None:
        # The claim (a ref object) goes first: a delete of another artifact with these bytes that
        # lists the claims after this point keeps the blob (S3 has no lock to make it airtight;
        # the window left is a delete's LIST and DELETE straddling this claim and the check below).
        self.client.put_object(Bucket=self.bucket, Key=self._ref_key(sha256, artifact_id), Body=b"")
        if self._exists(self.blob_key(sha256)):
            return  # content-addressed: same hash, same bytes
        # upload_file streams from disk and switches to a multipart upload for large files.
        extra = {"Config": self.transfer_config} if self.transfer_config else {}
        self.client.upload_file(str(staged), self.bucket, self.blob_key(sha256), **extra)

    def _write_meta(self, artifact: Artifact) -> None:
        key = self._meta_key(artifact.id)
        previous = self._previous_sha(key)
        self.client.put_object(Bucket=self.bucket, Key=key, Body=artifact.model_dump_json().encode(),
                               ContentType="application/json", Metadata={"sha256": artifact.sha256})
        if previous and previous != artifact.sha256:  # a retried job overwrote its output with new bytes
            self._release(previous, artifact.id)

    def _previous_sha(self, meta_key: str) -> str | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=meta_key)["Metadata"].get("sha256")
        except self._errors.ClientError as exc:
            if _is_missing(exc):
                return None
            raise

    # -- reading -------------------------------------------------------------------------
    def stat(self, artifact_id: str) -> Artifact:
        with self._not_found(f"no artifact {artifact_id!r}"):
            body = self.client.get_object(Bucket=self.bucket, Key=self._meta_key(artifact_id))["Body"]
        with body:
            return Artifact.model_validate_json(body.read())

    def open(self, artifact_id: str) -> BinaryIO:
        """A buffered, seekable reader; bytes are fetched lazily with ranged GETs (video seeking)."""
        artifact = self.stat(artifact_id)
        raw = _RangeReader(self.client, self.bucket, self.blob_key(artifact.sha256), artifact.size)
        return io.BufferedReader(raw, CHUNK)

    def local_path(self, artifact_id: str, scratch: Path | None = None) -> Path:
        """A downloaded copy: in the job's scratch dir, else in a cache shared by content hash."""
        artifact = self.stat(artifact_id)
        folder = scratch or self.cache_dir
        target = folder / artifact.sha256
        if target.exists() and target.stat().st_size == artifact.size:
            os.utime(target)  # in use: the temp-files cleanup removes only copies untouched for a day
            return target
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{artifact.sha256}.{secrets.token_hex(4)}.part"
        try:
            self._download(artifact, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return target

    # -- direct uploads (the client sends the bytes to S3; a confirm call makes the artifact) ----
    def _upload_key(self, upload_id: str) -> str:
        if not re.fullmatch(r"upl_[0-9a-f]{32}", upload_id):
            raise NotFound(f"no upload {upload_id[:80]!r} (upload ids look like upl_...)", field="upload")
        return self._key("uploads", upload_id)

    def presign_upload(self, upload_id: str, *, max_bytes: int, expires_in_s: int) -> dict:
        key = self._upload_key(upload_id)
        # POST can hold S3 to the size limit itself; PUT cannot (the confirm call checks the size).
        post = self.client.generate_presigned_post(self.bucket, key, ExpiresIn=expires_in_s,
                                                   Conditions=[["content-length-range", 1, max_bytes]])
        put = self.client.generate_presigned_url("put_object", Params={"Bucket": self.bucket, "Key": key},
                                                 ExpiresIn=expires_in_s)
        return {"post": {"url": post["url"], "fields": post["fields"]}, "put": {"url": put}}

    def open_upload(self, upload_id: str) -> tuple[int, BinaryIO]:
        key = self._upload_key(upload_id)
        with self._not_found(f"no upload {upload_id!r}: nothing was uploaded, or it was confirmed already"):
            size = int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        return size, io.BufferedReader(_RangeReader(self.client, self.bucket, key, size), CHUNK)

    def drop_upload(self, upload_id: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._upload_key(upload_id))

    def direct_url(self, artifact: Artifact, *, expires_in_s: int, disposition: str) -> str | None:
        # The blob has no name or type of its own (content-addressed): S3 answers with the artifact's.
        params = {"Bucket": self.bucket, "Key": self.blob_key(artifact.sha256), "ResponseContentType": artifact.mime,
                  "ResponseContentDisposition": disposition}
        return self.client.generate_presigned_url("get_object", Params=params,
                                                  ExpiresIn=max(1, min(expires_in_s, PRESIGN_MAX_S)))

    def copy_to(self, artifact_id: str, target: Path) -> Path:
        self._download(self.stat(artifact_id), Path(target))
        return Path(target)

    def _download(self, artifact: Artifact, target: Path) -> None:
        extra = {"Config": self.transfer_config} if self.transfer_config else {}
        with self._not_found(f"the bytes of artifact {artifact.id!r} are gone"):
            self.client.download_file(self.bucket, self.blob_key(artifact.sha256), str(target), **extra)

    def iter_artifacts(self) -> Iterator[Artifact]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key("meta") + "/"):
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1].removesuffix(".json")
                try:
                    yield self.stat(name)
                except (NotFound, ValueError):  # deleted meanwhile, or not ours
                    continue

    # -- deleting ------------------------------------------------------------------------
    def delete(self, artifact_id: str) -> None:
        artifact = self.stat(artifact_id)
        self.client.delete_object(Bucket=self.bucket, Key=self._meta_key(artifact_id))
        self._release(artifact.sha256, artifact_id)

    def _release(self, sha256: str, artifact_id: str) -> None:
        """Drop one artifact's claim on a blob; delete the blob when nobody else claims it."""
        self.client.delete_object(Bucket=self.bucket, Key=self._ref_key(sha256, artifact_id))
        others = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._ref_key(sha256), MaxKeys=1)
        if not others.get("KeyCount"):
            self.client.delete_object(Bucket=self.bucket, Key=self.blob_key(sha256))

    def ping(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)

    # -- helpers -------------------------------------------------------------------------
    @property
    def _errors(self) -> Any:
        import botocore.exceptions

        return botocore.exceptions

    def _exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except self._errors.ClientError as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    @contextlib.contextmanager
    def _not_found(self, message: str) -> Iterator[None]:
        """S3's "no such key" as NotFound; every other error propagates (transient: retried)."""
        try:
            yield
        except self._errors.ClientError as exc:
            if _is_missing(exc):
                raise NotFound(message, field="artifact") from None
            raise


class _RangeReader(io.RawIOBase):
    """A seekable raw reader over one S3 object: a GET from the current offset, reopened after a seek."""

    def __init__(self, client: Any, bucket: str, key: str, size: int) -> None:
        self.client, self.bucket, self.key, self.size = client, bucket, key, size
        self.position = 0
        self._body: Any = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        target = max(0, base + offset)
        if target != self.position:
            self._drop_body()
            self.position = target
        return self.position

    def readinto(self, buffer: Any) -> int:
        if self.position >= self.size or len(buffer) == 0:
            return 0
        if self._body is None:
            import botocore.exceptions

            try:
                response = self.client.get_object(Bucket=self.bucket, Key=self.key,
                                                  Range=f"bytes={self.position}-")
            except botocore.exceptions.ClientError as exc:
                if _is_missing(exc):
                    raise NotFound(f"the bytes of {self.key} are gone", field="artifact") from None
                raise
            self._body = response["Body"]
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def readall(self) -> bytes:
        # RawIOBase.readall reads 8 KB at a time: read big chunks instead.
        parts = []
        while chunk := self.read(CHUNK):
            parts.append(chunk)
        return b"".join(parts)

    def close(self) -> None:
        self._drop_body()
        super().close()

    def _drop_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None


def _is_missing(exc: Any) -> bool:
    error = exc.response.get("Error", {})
    return str(error.get("Code")) in _MISSING or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404


def _make_client(endpoint_url: str | None, region: str | None) -> Any:
    import boto3
    from botocore.config import Config

    region = region or runtime_settings().aws_region or "us-east-1"
    config = Config(
        signature_version="s3v4",
        retries={"mode": "standard", "max_attempts": 5},
        # Custom endpoints (MinIO, moto, Ceph) rarely have wildcard DNS for virtual-hosted buckets.
        s3={"addressing_style": "path" if endpoint_url else "auto"},
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region, config=config)

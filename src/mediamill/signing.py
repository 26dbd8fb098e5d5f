"""HMAC-signed, expiring download URLs, keyed by a server secret generated into the data dir (0600)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from mediamill.errors import ConfigError, Forbidden
from mediamill.settings import Settings

SECRET_FILE = "secret.key"
DEFAULT_LINK_TTL_S = 3600
_cache: dict[str, bytes] = {}
_lock = threading.Lock()


def secret_from_file(path: Path) -> bytes:
    """The secret stored at `path`, created (random, owner-only) the first time it is needed."""
    key = str(path)
    with _lock:
        if key in _cache:
            return _cache[key]
        try:
            # O_EXCL: when two processes start together, exactly one writes the secret.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            value = _read_secret(path)
        else:
            value = secrets.token_hex(32).encode()
            with os.fdopen(fd, "wb") as handle:
                handle.write(value)
        _cache[key] = value
        return value


def _read_secret(path: Path) -> bytes:
    for _ in range(50):  # the creating process may not have written it yet
        value = path.read_bytes().strip()
        if value:
            return value
        time.sleep(0.01)
    raise ConfigError(f"the secret file {path} is empty; delete it to have a new one generated")


def server_secret(settings: Settings) -> bytes:
    return secret_from_file(settings.resolved_data_dir / SECRET_FILE)


def signature(secret: bytes, artifact_id: str, exp: int) -> str:
    return hmac.new(secret, f"{artifact_id}.{exp}".encode(), hashlib.sha256).hexdigest()


def sign_download(settings: Settings, artifact_id: str, ttl_s: int = DEFAULT_LINK_TTL_S,
                  not_after: datetime | None = None) -> tuple[int, str]:
    """(exp, sig) for a link valid `ttl_s` seconds, and never past `not_after` (the artifact's expiry)."""
    exp = int(time.time()) + ttl_s
    if not_after is not None:
        exp = min(exp, int(not_after.timestamp()))
    return exp, signature(server_secret(settings), artifact_id, exp)


def download_link(settings: Settings, artifact_id: str, *, base_url: str | None = None,
                  ttl_s: int = DEFAULT_LINK_TTL_S, not_after: datetime | None = None) -> tuple[str, datetime]:
    """An absolute signed URL and the moment it stops working."""
    exp, sig = sign_download(settings, artifact_id, ttl_s, not_after)
    base = (base_url or settings.base_url).rstrip("/")
    url = f"{base}/v1/artifacts/{quote(artifact_id)}/download?exp={exp}&sig={sig}"
    return url, datetime.fromtimestamp(exp, UTC)


def verify_download(settings: Settings, artifact_id: str, exp: int | None, sig: str | None) -> None:
    """Forbidden (403) with the reason when the link is incomplete, expired or not ours."""
    if exp is None or not sig:
        raise Forbidden("this download link is incomplete: it needs both 'exp' and 'sig'; "
                        "get a fresh link from GET /v1/artifacts/{id}", field="sig")
    if exp < time.time():
        ago = int(time.time() - exp)
        raise Forbidden(f"this download link expired {ago} s ago; get a fresh link from GET /v1/artifacts/{{id}}",
                        field="exp")
    expected = signature(server_secret(settings), artifact_id, exp)
    if not hmac.compare_digest(expected.encode(), sig.lower().encode()):  # bytes: a non-ASCII sig is just wrong
        raise Forbidden("this download link's signature does not match (tampered, or signed by another "
                        "server); get a fresh link from GET /v1/artifacts/{id}", field="sig")

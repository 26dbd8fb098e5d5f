"""Share link use cases: create (expiry, optional password, download limit), open by token, list, revoke.

The token is shown once, in the URL the create answers with; only its sha256 is stored (like API
keys). Passwords are stored as scrypt hashes. A download is counted by one conditional UPDATE, so a
link with a limit of N serves N downloads however many requests race for the last one. Every link
made is an ASSET_SHARE event, every download through one an ASSET_DOWNLOAD (analytics.track).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta
from typing import BinaryIO

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from mediamill.constants import SHARE_FAILURES_KEY
from mediamill.db.models.analytics import EventType
from mediamill.db.models.shares import ShareLink
from mediamill.db.repositories import shares as records
from mediamill.errors import (
    BadInput,
    Forbidden,
    Gone,
    NotFound,
    TooManyRequests,
    Unauthorized,
    describe_validation_error,
)
from mediamill.services.artifacts import get_artifact
from mediamill.services.context import Services
from mediamill.services.jobs import submit_job
from mediamill.storage.artifact import Artifact, utcnow

TOKEN_BYTES = 24
SHARE_ID_PREFIX = "shr_"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class ShareRequest(BaseModel):
    """What `POST /v1/artifacts/{id}/shares` takes (the seed's camelCase names are accepted too)."""

    model_config = ConfigDict(extra="forbid")
    expires_at: datetime | None = Field(None, validation_alias=AliasChoices("expires_at", "expiresAt"),
                                        description="when the link stops working (ISO 8601 with a zone)")
    expires_in_hours: float | None = Field(None, gt=0, validation_alias=AliasChoices("expires_in_hours",
                                                                                      "expiresInHours"),
                                           description="or: this many hours from now")
    password: str | None = Field(None, max_length=200, description="asked for before the download")
    max_downloads: int | None = Field(None, ge=1, le=10**9, validation_alias=AliasChoices("max_downloads",
                                                                                          "maxDownloads"),
                                      description="downloads allowed in all; unset = unlimited")

    @classmethod
    def parse(cls, body: object) -> ShareRequest:
        if body is None:
            return cls()
        if not isinstance(body, dict):
            raise BadInput("the body must be a JSON object", field="body")
        try:
            return cls.model_validate(body)
        except ValidationError as exc:
            raise BadInput(describe_validation_error(exc), field=_first_field(exc)) from None


def _first_field(exc: ValidationError) -> str:
    errors = exc.errors()
    return str(errors[0]["loc"][0]) if errors and errors[0]["loc"] else "body"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
        given = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    except ValueError:
        return False
    return hmac.compare_digest(given.hex(), digest)


def share_url(services: Services, token: str) -> str:
    return f"{services.settings.base_url}/s/{token}"


def state_of(link: ShareLink, now: datetime | None = None) -> str:
    """active, expired, used up, or why it was deactivated (revoked, artifact deleted, artifact expired)."""
    if link.deactivated_reason:
        return link.deactivated_reason
    if link.expires_at <= (now or utcnow()):
        return "expired"
    if link.max_downloads is not None and link.downloads >= link.max_downloads:
        return "used up"
    return "active"


def share_view(link: ShareLink) -> dict:
    remaining = None if link.max_downloads is None else max(0, link.max_downloads - link.downloads)
    return {"id": link.id, "artifact": link.artifact_id, "state": state_of(link), "expires_at": link.expires_at,
            "password": link.password_hash is not None, "max_downloads": link.max_downloads,
            "downloads": link.downloads, "remaining": remaining, "created_at": link.created_at,
            "created_by": link.created_by, "last_download_at": link.last_download_at,
            "deactivated_at": link.deactivated_at}


def _expiry(services: Services, request: ShareRequest, artifact: Artifact) -> datetime:
    limits = services.settings.shares
    now = utcnow()
    if request.expires_at is not None and request.expires_in_hours is not None:
        raise BadInput("give expires_at or expires_in_hours, not both", field="expires_at")
    if request.expires_at is not None:
        if request.expires_at.tzinfo is None:
            raise BadInput("expires_at needs a time zone (e.g. 2027-01-31T12:00:00Z)", field="expires_at")
        expires = request.expires_at
        if expires <= now:
            raise BadInput(f"expires_at {expires.isoformat()} is in the past", field="expires_at")
    else:
        expires = now + timedelta(hours=request.expires_in_hours or limits.default_expiry_hours)
    if expires > now + timedelta(hours=limits.max_expiry_hours):
        raise BadInput(f"a share link lives at most {limits.max_expiry_hours:g} hours "
                       "(shares.max_expiry_hours)", field="expires_at")
    # A link cannot outlive its artifact: it would only answer 410 after that.
    return min(expires, artifact.expires_at) if artifact.expires_at else expires


def _new_link(services: Services, artifact_id: str, request: ShareRequest, created_by: str | None) -> ShareLink:
    minimum = services.settings.shares.min_password_length
    if request.password is not None and len(request.password) < minimum:
        raise BadInput(f"password must be at least {minimum} characters", field="password")
    artifact = get_artifact(services, artifact_id)
    expires = _expiry(services, request, artifact)
    return ShareLink(id=SHARE_ID_PREFIX + secrets.token_hex(8), artifact_id=artifact.id, token_hash="",
                     password_hash=hash_password(request.password) if request.password else None,
                     expires_at=expires, max_downloads=request.max_downloads, downloads=0, created_by=created_by,
                     created_at=utcnow())


async def create_share(services: Services, artifact_id: str, body: object, created_by: str | None = None) -> dict:
    """A new link to the artifact; the answer carries the URL (shown once: only a hash is kept)."""
    request = ShareRequest.parse(body)
    link = await asyncio.to_thread(_new_link, services, artifact_id, request, created_by)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link.token_hash = token_hash(token)

    def store() -> dict:
        with services.database.session() as session:
            return share_view(records.add(session, link))

    view = await asyncio.to_thread(store)
    await _track(services, EventType.ASSET_SHARE, link, {"expiresAt": link.expires_at.isoformat(),
                                                         "password": link.password_hash is not None,
                                                         "maxDownloads": link.max_downloads})
    return {**view, "url": share_url(services, token), "token": token}


def get_share(services: Services, share_id: str) -> dict:
    with services.database.session() as session:
        return share_view(_existing(session, share_id))


def list_shares(services: Services, artifact_id: str | None = None, *, active_only: bool = False,
                limit: int = 100) -> list[dict]:
    with services.database.session() as session:
        rows = (records.for_artifact(session, artifact_id, active_only=active_only) if artifact_id
                else records.recent(session, limit=limit, active_only=active_only))
        return [share_view(row) for row in rows]


def revoke_share(services: Services, share_id: str) -> dict:
    """Stop a link at once (revoking twice is fine; the link keeps its counts)."""
    with services.database.session() as session:
        link = _existing(session, share_id)
        records.deactivate(session, [link.id], "revoked")
        session.refresh(link)
        return share_view(link)


def _existing(session, share_id: str) -> ShareLink:
    link = records.get(session, share_id) if share_id.startswith(SHARE_ID_PREFIX) else None
    if link is None:
        raise NotFound(f"no share link {share_id[:80]!r} (share ids look like shr_...)", field="share")
    return link


def _open(services: Services, token: str, password: str | None, method: str,
          range_header: str | None, loop: asyncio.AbstractEventLoop) -> tuple[ShareLink, Artifact, BinaryIO, bool]:
    """One thread hop: find and check the link, count the download, open the bytes."""
    with services.database.session() as session:
        link = records.by_token_hash(session, token_hash(token)) if 16 <= len(token) <= 128 else None
        if link is None:
            raise NotFound("no such share link", field="token")
        state = state_of(link)
        if state == "expired":
            raise Gone(f"this share link expired at {link.expires_at.isoformat()}", field="token")
        if state == "used up":
            raise Gone(f"this share link reached its download limit of {link.max_downloads}", field="token")
        if state != "active":
            raise Gone(f"this share link no longer works ({state})", field="token")
        if link.password_hash is not None:
            _check_password(services, link, password, loop)
        try:
            artifact = get_artifact(services, link.artifact_id)
        except NotFound:
            raise Gone("the shared artifact no longer exists", field="token") from None
        session.expunge(link)
    counted = counts_as_download(link, method, range_header)
    if counted:
        # Its own short transaction (a SQLite read turned write can fail at once when another write
        # came between). The conditional UPDATE, not the checks above, decides: another request may
        # have taken the last download (or revoked the link) since this one read the row.
        with services.database.session() as session:
            if not records.count_download(session, link.id, utcnow()):
                raise Gone("this share link no longer works (used up or revoked)", field="token")
    return link, artifact, services.store.open(artifact.id), counted


class _Failures:
    """Wrong passwords per link in a sliding window, kept in Redis so the cap holds across every API
    process (it was per process: N processes let N times the guesses through). Guessing gets a 429
    after `shares.max_password_failures`, and each guess costs a scrypt hash, so the cap also bounds
    the CPU a guesser can burn. (The token in the URL is the first secret; the password is the second.)
    A sorted set per link, scored by the time of each failure, expiring with its window."""

    @staticmethod
    def key(share_id: str) -> str:
        return f"{SHARE_FAILURES_KEY}:{share_id}"

    async def recent(self, redis, share_id: str, window_s: float) -> int:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(self.key(share_id), 0, time.time() - window_s)
            pipe.zcard(self.key(share_id))
            _, count = await pipe.execute()
        return int(count)

    async def add(self, redis, share_id: str, window_s: float) -> None:
        now = time.time()
        async with redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self.key(share_id), {f"{now:.6f}:{secrets.token_hex(4)}": now})
            pipe.expire(self.key(share_id), int(window_s) + 1)
            await pipe.execute()


_failures = _Failures()


def _check_password(services: Services, link: ShareLink, password: str | None,
                    loop: asyncio.AbstractEventLoop) -> None:
    """Runs in _open's thread; the failure counts are read and written on the loop's Redis client."""
    limits = services.settings.shares

    def on_loop(coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=30)

    if not password:
        raise Unauthorized("this share link needs a password (form field or X-Share-Password header)",
                           field="password")
    redis, window = services.broker.redis, limits.password_failure_window_s
    if on_loop(_failures.recent(redis, link.id, window)) >= limits.max_password_failures:
        error = TooManyRequests("too many wrong passwords for this share link; try again later", field="password")
        error.headers = {"Retry-After": str(int(limits.password_failure_window_s))}
        raise error
    if not password_matches(password, link.password_hash or ""):
        on_loop(_failures.add(redis, link.id, window))
        raise Forbidden("wrong password for this share link", field="password")


def counts_as_download(link: ShareLink, method: str, range_header: str | None) -> bool:
    """GET counts; HEAD does not. Without a limit, a range that does not start at byte 0 is the same
    download seeking or resuming; with a limit every GET counts, so ranges cannot get round it."""
    if method != "GET":
        return False
    if link.max_downloads is not None or not range_header:
        return True
    return range_header.replace(" ", "").startswith("bytes=0-")


async def open_share(services: Services, token: str, password: str | None, method: str,
                     range_header: str | None) -> tuple[Artifact, BinaryIO]:
    """Check the link (404 unknown, 410 expired/revoked/used up, 401/403 password), count the download,
    open the bytes (the caller closes the reader)."""
    link, artifact, reader, counted = await asyncio.to_thread(_open, services, token, password, method, range_header,
                                                               asyncio.get_running_loop())
    if counted:
        try:
            await _track(services, EventType.ASSET_DOWNLOAD, link, {"via": "share-link"})
        except BaseException:
            reader.close()
            raise
    return artifact, reader


async def _track(services: Services, kind: EventType, link: ShareLink, data: dict) -> None:
    event = {"type": kind.value, "assetId": link.artifact_id, "data": {"share": link.id, **data}}
    await submit_job(services, {"task": "analytics.track", "params": event})

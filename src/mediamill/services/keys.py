"""API keys: create (the token is shown once), list, revoke, and authenticate a Bearer token.

A token is `mm_<prefix>_<secret>`; only its SHA-256 is stored (a 256-bit random secret needs no slow
hash), found by the public prefix and compared in constant time.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from mediamill.db import Database, open_database
from mediamill.db.models import ApiKey
from mediamill.db.models.keys import SCOPES
from mediamill.db.repositories import keys as key_records
from mediamill.errors import BadInput, NotFound, Unauthorized
from mediamill.settings import Settings

TOKEN_PREFIX = "mm"
# last_used_at is written at most this often per key: a write per request would cost throughput.
TOUCH_INTERVAL_S = 60.0


@dataclass(frozen=True)
class KeyInfo:
    id: str
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @classmethod
    def of(cls, key: ApiKey) -> KeyInfo:
        return cls(id=key.id, name=key.name, prefix=key.prefix, scopes=tuple(key.scopes or ()),
                   created_at=key.created_at, last_used_at=key.last_used_at, revoked_at=key.revoked_at)

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "prefix": self.prefix, "scopes": list(self.scopes),
                "created_at": self.created_at, "last_used_at": self.last_used_at, "revoked_at": self.revoked_at}

    def allows(self, scope: str) -> bool:
        # admin implies every other scope.
        return scope in self.scopes or "admin" in self.scopes


# What a caller is when no key exists and the server listens on loopback only (the API and the dashboard).
LOCAL_USER = KeyInfo(id="local", name="local (no API keys configured)", prefix="", scopes=("admin",))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(scopes: str | list[str] | tuple[str, ...]) -> list[str]:
    items = scopes.split(",") if isinstance(scopes, str) else list(scopes)
    cleaned = sorted({item.strip().lower() for item in items if item and item.strip()})
    unknown = [item for item in cleaned if item not in SCOPES]
    if unknown:
        raise BadInput(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}", field="scopes")
    if not cleaned:
        raise BadInput(f"a key needs at least one scope ({', '.join(SCOPES)})", field="scopes")
    return cleaned


def create_key(settings: Settings, name: str, scopes: str | list[str] = ("submit", "read")) -> tuple[KeyInfo, str]:
    """A new key; returns its record and the token, which is never stored and cannot be shown again."""
    name = (name or "").strip()
    if not name or len(name) > 128:
        raise BadInput("a key needs a name of 1 to 128 characters", field="name")
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(id=f"key_{secrets.token_hex(8)}", name=name, prefix=prefix, hash=token_hash(token),
                 scopes=parse_scopes(scopes), created_at=datetime.now(UTC))
    with open_database(settings).session() as session:
        key_records.add(session, key)
        info = KeyInfo.of(key)
    _keys_exist.clear()
    return info, token


def list_keys(settings: Settings, *, include_revoked: bool = True) -> list[KeyInfo]:
    with open_database(settings).session() as session:
        return [KeyInfo.of(key) for key in key_records.list_all(session, include_revoked=include_revoked)]


def revoke_key(settings: Settings, key_id: str) -> KeyInfo:
    """Revoke by id (key_...) or prefix; revoking twice keeps the first revocation time."""
    with open_database(settings).session() as session:
        key = key_records.get(session, key_id) or key_records.by_prefix(session, key_id)
        if key is None:
            raise NotFound(f"no API key {key_id!r}; see `mediamill keys list`", field="key")
        if key.revoked_at is None:
            key.revoked_at = datetime.now(UTC)
        info = KeyInfo.of(key)
    _keys_exist.clear()
    return info


# keys_exist() is asked on every keyless request; its answer is kept this long (and dropped at once
# when this process creates or revokes a key; another process's change shows within this time).
KEYS_EXIST_TTL_S = 2.0
_keys_exist: dict[str, tuple[float, bool]] = {}


def keys_exist_cached(database: Database) -> bool | None:
    """The recent answer of keys_exist(), or None when there is none (no database access)."""
    cached = _keys_exist.get(database.url)
    if cached is not None and time.monotonic() - cached[0] < KEYS_EXIST_TTL_S:
        return cached[1]
    return None


async def any_key(database: Database) -> bool:
    """keys_exist() for a request handler: asked on every keyless request, answered from memory mostly."""
    cached = keys_exist_cached(database)
    return cached if cached is not None else await asyncio.to_thread(keys_exist, database)


def keys_exist(database: Database) -> bool:
    """Whether any unrevoked key exists (then every request must carry one)."""
    cached = keys_exist_cached(database)
    if cached is not None:
        return cached
    with database.session() as session:
        answer = key_records.any_active(session)
    _keys_exist[database.url] = (time.monotonic(), answer)
    return answer


_touched: dict[str, float] = {}
_touch_lock = threading.Lock()


def authenticate(database: Database, token: str) -> KeyInfo:
    """The key a Bearer token belongs to; Unauthorized (401) for malformed, unknown or revoked tokens."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        raise Unauthorized("malformed API key: expected 'Authorization: Bearer mm_<prefix>_<secret>'")
    with database.session() as session:
        key = key_records.by_prefix(session, parts[1])
        if key is None or not hmac.compare_digest(key.hash, token_hash(token)):
            raise Unauthorized("unknown API key")
        if key.revoked_at is not None:
            raise Unauthorized(f"API key {key.name!r} ({key.prefix}) was revoked at {key.revoked_at.isoformat()}")
        info = KeyInfo.of(key)
        if _due_for_touch(key.id):
            key_records.touch(session, key.id, datetime.now(UTC))
    return info


def _due_for_touch(key_id: str) -> bool:
    now = time.monotonic()
    with _touch_lock:
        if now - _touched.get(key_id, -TOUCH_INTERVAL_S) < TOUCH_INTERVAL_S:
            return False
        _touched[key_id] = now
        return True


def active_key(database: Database, key_id: str) -> KeyInfo:
    """The key with this id while it is unrevoked (a dashboard session names its key by id)."""
    with database.session() as session:
        key = key_records.get(session, key_id)
        if key is None or key.revoked_at is not None:
            raise Unauthorized("the API key of this session was revoked or deleted: log in again")
        return KeyInfo.of(key)

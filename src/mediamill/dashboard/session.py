"""The dashboard's session cookie and CSRF tokens: HMAC-signed with the server secret, no server state.

The cookie is `<sid>.<key id>.<expiry>.<signature>`. `sid` is random per login (a new one at each
login, so a cookie planted before it is worthless); the key id is empty before login and "local"
for the keyless loopback mode. The CSRF token of a session is an HMAC of its sid: a page gets it
in its forms, a cross-site attacker cannot read it, and it needs no storage.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

COOKIE = "mediamill_dashboard"
SESSION_TTL_S = 12 * 3600
ANONYMOUS = ""
LOCAL = "local"


@dataclass(frozen=True)
class Session:
    sid: str
    key_id: str
    expires: int

    def encode(self, secret: bytes) -> str:
        body = f"{self.sid}.{self.key_id}.{self.expires}"
        return f"{body}.{_mac(secret, 'session', body)}"

    def csrf(self, secret: bytes) -> str:
        return _mac(secret, "csrf", self.sid)


def new_session(key_id: str = ANONYMOUS, ttl_s: int = SESSION_TTL_S) -> Session:
    return Session(sid=secrets.token_urlsafe(18), key_id=key_id, expires=int(time.time()) + ttl_s)


def decode(secret: bytes, value: str | None) -> Session | None:
    """The session in a cookie value, or None when it is absent, malformed, forged or expired."""
    if not value or value.count(".") != 3:
        return None
    sid, key_id, expires, mac = value.split(".")
    if not hmac.compare_digest(mac, _mac(secret, "session", f"{sid}.{key_id}.{expires}")):
        return None
    if not expires.isdigit() or int(expires) < time.time():
        return None
    return Session(sid=sid, key_id=key_id, expires=int(expires))


def csrf_matches(secret: bytes, session: Session, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf(secret), token)


def _mac(secret: bytes, purpose: str, body: str) -> str:
    # The purpose in the MAC keeps a session signature from ever passing as a CSRF token, and back.
    return hmac.new(secret, f"dashboard-{purpose}|{body}".encode(), hashlib.sha256).hexdigest()[:43]

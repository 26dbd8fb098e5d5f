"""Webhook signatures: `X-Mediamill-Signature: v1=<hex hmac-sha256 of "{timestamp}.{body}">`.

The timestamp is signed with the body, so a receiver that rejects old timestamps also rejects replays.
This module has no mediamill imports beyond the standard library: receivers may copy it.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Mediamill-Timestamp"
SIGNATURE_HEADER = "X-Mediamill-Signature"
VERSION = "v1"


class InvalidSignature(Exception):
    """The notification must be rejected; the message says why."""


def sign(secret: str | bytes, body: bytes, timestamp: int) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{VERSION}={digest}"


def signed_headers(secret: str | bytes, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, body, timestamp),
            "Content-Type": "application/json"}


def verify_signature(secret: str | bytes, body: bytes, timestamp: str | int | None, signature: str | None,
                     tolerance_s: float = 300, now: float | None = None) -> None:
    """Raise InvalidSignature unless `signature` signs `body` at `timestamp` and the timestamp is recent.

    `body` must be the raw request bytes (not re-serialised JSON). `signature` may list several
    comma-separated `v1=` values (a secret being rotated); one match is enough.
    """
    if timestamp is None or signature is None:
        raise InvalidSignature(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        raise InvalidSignature(f"{TIMESTAMP_HEADER} is not a Unix timestamp: {timestamp!r}") from None
    now = time.time() if now is None else now
    if abs(now - ts) > tolerance_s:
        raise InvalidSignature(f"timestamp is {int(now - ts)} s away from now (tolerance {tolerance_s:.0f} s): "
                               "an old notification replayed, or a clock out of sync")
    expected = sign(secret, body, ts)
    offered = [part.strip() for part in signature.split(",")]
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise InvalidSignature("signature does not match the body (wrong secret, or the body was changed)")

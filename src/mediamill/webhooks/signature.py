"""Webhook signatures by the Standard Webhooks spec, and the old mediamill headers beside them.

Standard Webhooks (what `standardwebhooks` on PyPI / npm verifies):
    webhook-id: whk_...            the same on every retry of one notification (receivers drop duplicates)
    webhook-timestamp: 1795000000  Unix seconds of this attempt
    webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{raw body}">
The secret is written `whsec_<base64 of the key bytes>`.

Deprecated, sent for one more release (then removed): `X-Mediamill-Timestamp` and
`X-Mediamill-Signature: v1=<hex HMAC-SHA256 of "{timestamp}.{raw body}">`, with the same key bytes,
so a receiver that kept the old secret string keeps verifying until it moves to the standard.

The timestamp is signed with the body, so a receiver that rejects old timestamps also rejects replays.
Its only mediamill import is the error class: a receiver that copies it can put its own in its place.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

from mediamill.errors import InvalidSignature

ID_HEADER = "webhook-id"
STANDARD_TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"
TIMESTAMP_HEADER = "X-Mediamill-Timestamp"  # deprecated
SIGNATURE_HEADER = "X-Mediamill-Signature"  # deprecated
VERSION = "v1"


def secret_key(secret: str | bytes) -> bytes:
    """The HMAC key: the bytes a `whsec_` secret encodes, else the secret string's own bytes."""
    if isinstance(secret, bytes):
        return secret
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret.removeprefix(SECRET_PREFIX) + "==", validate=False)
        except (binascii.Error, ValueError):
            raise InvalidSignature("the whsec_ secret is not valid base64") from None
    return secret.encode()


def standard_secret(secret: str | bytes) -> str:
    """The same key written as Standard Webhooks expects it: `whsec_<base64>`."""
    if isinstance(secret, str) and secret.startswith(SECRET_PREFIX):
        return secret
    return SECRET_PREFIX + base64.b64encode(secret_key(secret)).decode()


def sign_standard(secret: str | bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(digest).decode()}"


def sign(secret: str | bytes, body: bytes, timestamp: int) -> str:
    """The deprecated `X-Mediamill-Signature` value."""
    digest = hmac.new(secret_key(secret), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{VERSION}={digest}"


def signed_headers(secret: str | bytes, body: bytes, msg_id: str, timestamp: int | None = None) -> dict[str, str]:
    """Standard Webhooks headers plus the deprecated ones, for one attempt of notification `msg_id`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {ID_HEADER: msg_id, STANDARD_TIMESTAMP_HEADER: str(timestamp),
            STANDARD_SIGNATURE_HEADER: sign_standard(secret, msg_id, timestamp, body),
            TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, body, timestamp),
            "Content-Type": "application/json"}


def verify_webhook(secret: str | bytes, body: bytes, headers: Mapping[str, str], tolerance_s: float = 300,
                   now: float | None = None) -> str:
    """Check the Standard Webhooks headers of a request; returns its webhook-id (for de-duplication).

    `webhook-signature` may hold several space-separated `v1,` values (a secret being rotated).
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    msg_id, timestamp = lowered.get(ID_HEADER), lowered.get(STANDARD_TIMESTAMP_HEADER)
    signature = lowered.get(STANDARD_SIGNATURE_HEADER)
    if not (msg_id and timestamp and signature):
        raise InvalidSignature(f"missing {ID_HEADER}, {STANDARD_TIMESTAMP_HEADER} or {STANDARD_SIGNATURE_HEADER}")
    ts = _recent(timestamp, tolerance_s, now, STANDARD_TIMESTAMP_HEADER)
    expected = sign_standard(secret, msg_id, ts, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signature.split()):
        raise InvalidSignature("signature does not match the body (wrong secret, or the body was changed)")
    return msg_id


def verify_signature(secret: str | bytes, body: bytes, timestamp: str | int | None, signature: str | None,
                     tolerance_s: float = 300, now: float | None = None) -> None:
    """Deprecated headers: raise InvalidSignature unless `signature` signs `body` at a recent `timestamp`.

    `body` must be the raw request bytes (not re-serialised JSON). `signature` may list several
    comma-separated `v1=` values (a secret being rotated); one match is enough.
    """
    if timestamp is None or signature is None:
        raise InvalidSignature(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    ts = _recent(timestamp, tolerance_s, now, TIMESTAMP_HEADER)
    expected = sign(secret, body, ts)
    offered = [part.strip() for part in signature.split(",")]
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise InvalidSignature("signature does not match the body (wrong secret, or the body was changed)")


def _recent(timestamp: str | int, tolerance_s: float, now: float | None, header: str) -> int:
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        raise InvalidSignature(f"{header} is not a Unix timestamp: {timestamp!r}") from None
    now = time.time() if now is None else now
    if abs(now - ts) > tolerance_s:
        raise InvalidSignature(f"timestamp is {int(now - ts)} s away from now (tolerance {tolerance_s:.0f} s): "
                               "an old notification replayed, or a clock out of sync")
    return ts

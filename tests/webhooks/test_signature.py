"""Webhook signatures: valid ones pass; a changed body, wrong secret or old timestamp is rejected."""

from __future__ import annotations

import time

import pytest

from mediamill.webhooks import InvalidSignature, sign, signed_headers, verify_signature

SECRET = "whsec_test"
BODY = b'{"event":"job.completed","job":{"id":"job_1"}}'


def test_a_fresh_signature_verifies():
    headers = signed_headers(SECRET, BODY, "whk_1")
    assert headers["X-Mediamill-Signature"].startswith("v1=")
    verify_signature(SECRET, BODY, headers["X-Mediamill-Timestamp"], headers["X-Mediamill-Signature"])


@pytest.mark.parametrize(("body", "secret", "age", "needle"), [
    (BODY + b" ", SECRET, 0, "does not match"),
    (BODY, "other", 0, "does not match"),
    (BODY, SECRET, 301, "replayed"),
    (BODY, SECRET, -301, "replayed"),
])
def test_rejections_say_why(body, secret, age, needle):
    timestamp = int(time.time()) - age
    signature = sign(SECRET, BODY, timestamp)
    with pytest.raises(InvalidSignature, match=needle):
        verify_signature(secret, body, timestamp, signature)


def test_a_replayed_notification_is_rejected_even_with_its_original_signature():
    sent_at = int(time.time()) - 3600
    signature = sign(SECRET, BODY, sent_at)
    with pytest.raises(InvalidSignature):
        verify_signature(SECRET, BODY, sent_at, signature)
    # ...and re-stamping it with a fresh timestamp breaks the signature.
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_signature(SECRET, BODY, int(time.time()), signature)


def test_missing_headers_and_rotation():
    with pytest.raises(InvalidSignature, match="missing"):
        verify_signature(SECRET, BODY, None, None)
    with pytest.raises(InvalidSignature, match="Unix timestamp"):
        verify_signature(SECRET, BODY, "yesterday", "v1=00")
    now = int(time.time())
    both = f"{sign('old-secret', BODY, now)}, {sign(SECRET, BODY, now)}"
    verify_signature(SECRET, BODY, now, both)

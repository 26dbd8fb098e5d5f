"""Standard Webhooks headers: the spec's reference library and the documented Node example accept them."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
from node_example import node_available, verify_with_node
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from mediamill.webhooks import (
    InvalidSignature,
    signed_headers,
    standard_secret,
    verify_signature,
    verify_webhook,
)

SECRET = standard_secret(b"0123456789abcdef0123456789abcdef")
BODY = b'{"event":"job.completed","job":{"id":"job_1"}}'


def test_the_reference_library_verifies_our_headers():
    headers = signed_headers(SECRET, BODY, "whk_job_1_1")
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(SECRET).verify(BODY, headers) == {"event": "job.completed", "job": {"id": "job_1"}}
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(standard_secret(b"another key")).verify(BODY, headers)


def test_we_verify_what_the_reference_library_signs():
    # Given a signature made by the spec's own library, our verifier accepts it and returns the id.
    now = int(time.time())
    signature = Webhook(SECRET).sign("msg_1", datetime.fromtimestamp(now, UTC), BODY.decode())
    headers = {"Webhook-Id": "msg_1", "Webhook-Timestamp": str(now), "Webhook-Signature": f"v1,AAAA {signature}"}
    assert verify_webhook(SECRET, BODY, headers) == "msg_1"
    with pytest.raises(InvalidSignature, match="replayed"):
        verify_webhook(SECRET, BODY, headers, now=now + 301)
    with pytest.raises(InvalidSignature, match="missing"):
        verify_webhook(SECRET, BODY, {})


def test_old_headers_still_verify_with_the_old_secret_string():
    # A receiver configured before whsec_ secrets holds the raw string; the deprecated headers still verify.
    raw = "a-secret-from-an-earlier-release"
    headers = signed_headers(standard_secret(raw), BODY, "whk_1")
    verify_signature(raw, BODY, headers["X-Mediamill-Timestamp"], headers["X-Mediamill-Signature"])
    assert base64.b64decode(standard_secret(raw).removeprefix("whsec_")) == raw.encode()


@pytest.mark.skipif(not node_available(), reason="node is not installed")
def test_the_documented_node_example_verifies_and_rejects(tmp_path):
    headers = signed_headers(SECRET, BODY, "whk_job_1_1")
    assert verify_with_node(tmp_path, SECRET, BODY, headers) == {"ok": True, "id": "whk_job_1_1"}
    answer = verify_with_node(tmp_path, SECRET, BODY.replace(b"job_1", b"job_2"), headers)
    assert answer["ok"] is False and "does not match" in answer["error"]

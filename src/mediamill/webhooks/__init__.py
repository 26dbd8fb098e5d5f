"""Webhooks: when a job with a notify_url finishes for good, POST a signed JSON notification to it."""

from mediamill.webhooks.signature import (
    InvalidSignature,
    sign,
    sign_standard,
    signed_headers,
    standard_secret,
    verify_signature,
    verify_webhook,
)

__all__ = ["InvalidSignature", "sign", "sign_standard", "signed_headers", "standard_secret", "verify_signature",
           "verify_webhook"]

"""Webhooks: when a job with a notify_url finishes for good, POST a signed JSON notification to it."""

from mediamill.webhooks.signature import InvalidSignature, sign, signed_headers, verify_signature

__all__ = ["InvalidSignature", "sign", "signed_headers", "verify_signature"]

"""Signed download links inside job results: each artifact reference gets `url` and `urlExpiresAt`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mediamill.settings import Settings
from mediamill.signing import download_link
from mediamill.storage.artifact import is_artifact_id


def _expiry(ref: dict) -> datetime | None:
    raw = ref.get("expiresAt")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def with_download_links(settings: Settings, value: Any) -> Any:
    """A copy of a wire result where every artifact reference carries a signed, expiring download URL."""
    if isinstance(value, dict):
        copy = {key: with_download_links(settings, child) for key, child in value.items()}
        if is_artifact_id(value.get("artifact")) and "sha256" in value:
            url, until = download_link(settings, value["artifact"], not_after=_expiry(value))
            copy["url"] = url
            copy["urlExpiresAt"] = until.isoformat().replace("+00:00", "Z")
        return copy
    if isinstance(value, list):
        return [with_download_links(settings, child) for child in value]
    return value

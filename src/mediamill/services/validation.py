"""Checks on URLs users hand us (remote inputs, notify_url): the safe fetcher's address rules, early."""

from __future__ import annotations

from mediamill.errors import BadInput
from mediamill.security import Limits


def check_public_url(url: object, limits: Limits, field: str) -> str:
    """The URL if it is http(s) and reaches only public addresses (or allow-listed hosts); else BadInput."""
    from mediamill.fetch.guard import check_url

    if not isinstance(url, str) or not url.strip():
        raise BadInput(f"{field} must be a non-empty http(s) URL", field=field)
    if len(url) > 2048:
        raise BadInput(f"{field} is longer than 2048 characters", field=field)
    try:
        check_url(url, limits)
    except BadInput as exc:
        raise BadInput(f"{field}: {exc.message}", field=field) from None
    except OSError as exc:  # a DNS hiccup (EAI_AGAIN): worth a retry by the client, not a 500
        raise BadInput(f"{field}: cannot resolve the host right now ({exc}); try again", field=field) from None
    return url

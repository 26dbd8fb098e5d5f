"""The safe fetcher's public interface (implemented in mediamill.fetch; each name loads on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Resolver", "check_url", "fetch_bytes", "fetch_to_store"]

if TYPE_CHECKING:
    from mediamill.fetch import Resolver, check_url, fetch_bytes, fetch_to_store


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'mediamill.fetcher' has no attribute {name!r}")
    from mediamill import fetch

    return getattr(fetch, name)

"""The safe fetcher for remote inputs: http(s) only, public addresses only, size and time limits.

The names load on first use: the address guard (`fetch.guard`, which the broker's submit checks use)
must not pull in the downloader and its HTTP client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_PUBLIC = {"Resolver": "mediamill.fetch.guard", "check_url": "mediamill.fetch.guard",
           "fetch_bytes": "mediamill.fetch.download", "fetch_to_store": "mediamill.fetch.download"}
__all__ = ["Resolver", "check_url", "fetch_bytes", "fetch_to_store"]

if TYPE_CHECKING:
    from mediamill.fetch.download import fetch_bytes, fetch_to_store
    from mediamill.fetch.guard import Resolver, check_url


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'mediamill.fetch' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value

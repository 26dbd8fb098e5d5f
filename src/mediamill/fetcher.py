"""The safe fetcher's public interface (implemented in mediamill.fetch)."""

from mediamill.fetch import Resolver, check_url, fetch_bytes, fetch_to_store

__all__ = ["Resolver", "check_url", "fetch_bytes", "fetch_to_store"]

"""The safe fetcher for remote inputs: http(s) only, public addresses only, size and time limits."""

from mediamill.fetch.download import fetch_bytes, fetch_to_store
from mediamill.fetch.guard import Resolver, check_url

__all__ = ["Resolver", "check_url", "fetch_bytes", "fetch_to_store"]

"""An httpx transport that connects only to addresses the guard approved, resolved once per connection.

The guard resolves the host at connect time and the socket goes to the very address it checked, so a
DNS answer cannot change between the check and the connect (DNS rebinding). The URL keeps its host
name, so the Host header and the TLS SNI / certificate check still use the name.
"""

from __future__ import annotations

import functools
import ssl
import typing

import anyio
import httpcore
import httpx

from mediamill.fetch.guard import Guard
from mediamill.settings import runtime_settings


class PinnedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.AsyncNetworkStream:
        addresses = await anyio.to_thread.run_sync(self.guard.addresses, host, port)
        error: Exception | None = None
        for address in addresses:  # every one of them passed the guard
            try:
                return await self.inner.connect_tcp(str(address), port, timeout=timeout,
                                                    local_address=local_address, socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None  # the guard never returns an empty list
        raise error

    async def connect_unix_socket(self, *args: typing.Any, **kwargs: typing.Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("the fetcher never connects to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, guard: Guard) -> None:
        context = ssl_context()
        super().__init__(verify=context)
        # httpx has no public hook for the network backend: replace the pool it built with one that
        # uses ours (same defaults otherwise). tests/fetch/test_fetcher.py proves the pinning holds.
        self._pool = httpcore.AsyncConnectionPool(ssl_context=context, network_backend=PinnedBackend(guard))


def ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), built once."""
    config = runtime_settings()
    return _ssl_context(config.ssl_cert_file, config.ssl_cert_dir)


@functools.lru_cache(maxsize=4)
def _ssl_context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    # Loading the CA bundle takes ~40 ms; a context is safe to share between connections.
    return httpx.create_ssl_context()

"""Downloads through the guard: manual redirects (each hop checked), size and total-time limits."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import PurePosixPath
from urllib.parse import unquote

import httpx

from mediamill.errors import BadInput, LimitExceeded, ProviderError
from mediamill.fetch.guard import Guard, Resolver, Target, display_url
from mediamill.fetch.transport import PinnedTransport
from mediamill.security import Limits
from mediamill.settings import Settings
from mediamill.storage.artifact import Artifact, utcnow
from mediamill.storage.base import ArtifactStore
from mediamill.storage.mime import SNIFF_BYTES, sniff

USER_AGENT = "mediamill-fetcher/1"
# Answers a later attempt may get right; any other 4xx is the URL's fault.
RETRYABLE_STATUS = frozenset({408, 425, 429})


async def fetch_bytes(url: str, limits: Limits, *, resolver: Resolver | None = None) -> tuple[bytes, str]:
    """A small remote file in memory (at most limits.fetch_max_bytes) and its MIME type by content."""
    buffer = bytearray()
    await _download(url, limits, buffer.extend, resolver)
    data = bytes(buffer)
    return data, sniff(data[:SNIFF_BYTES])


async def fetch_to_store(url: str, settings: Settings, store: ArtifactStore, *, name: str | None = None,
                         key: str | None = None, resolver: Resolver | None = None) -> Artifact:
    """Stream a remote file to a temporary file, then store it (expiring like any output)."""
    limits = settings.limits
    store.tmp_dir.mkdir(parents=True, exist_ok=True)
    partial = store.tmp_dir / f"fetch-{secrets.token_hex(8)}"
    try:
        # Small writes to the page cache: cheaper than a thread hop per chunk.
        with open(partial, "wb") as out:
            final = await _download(url, limits, out.write, resolver)
        expires = utcnow() + timedelta(hours=settings.storage_ttl_hours)
        return await asyncio.to_thread(
            store.put, partial, name=name or _name_from(final), key=key, expires_at=expires,
            max_bytes=limits.fetch_max_bytes, metadata={"source_url": display_url(httpx.URL(url))},
        )
    finally:
        partial.unlink(missing_ok=True)


async def _download(url: str, limits: Limits, sink: Callable[[bytes], object],
                    resolver: Resolver | None) -> httpx.URL:
    """Send the body of `url` (after redirects) to `sink`; returns the final URL."""
    guard = Guard(limits, resolver)
    target = guard.target(url)
    with _translate_errors(target, limits):
        async with asyncio.timeout(limits.fetch_timeout_s):
            async with httpx.AsyncClient(transport=PinnedTransport(guard), trust_env=False,
                                         follow_redirects=False, timeout=limits.fetch_timeout_s,
                                         headers={"User-Agent": USER_AGENT}) as client:
                response = await _follow_redirects(client, guard, target)
                try:
                    await _drain(response, limits, sink)
                finally:
                    await response.aclose()
                return response.url


async def _follow_redirects(client: httpx.AsyncClient, guard: Guard, target: Target) -> httpx.Response:
    """Redirects by hand, so every hop goes through the guard again (scheme, host, addresses)."""
    for _ in range(guard.limits.fetch_max_redirects + 1):
        response = await client.send(client.build_request("GET", target.url), stream=True)
        if not response.is_redirect:
            _check_status(response, target)
            return response
        await response.aclose()
        target = guard.target(target.url.join(response.headers["location"]))
    raise BadInput(f"more than {guard.limits.fetch_max_redirects} redirects fetching {display_url(target.url)}",
                   field="url")


def _check_status(response: httpx.Response, target: Target) -> None:
    if response.status_code < 400:
        return
    message = f"{display_url(target.url)} answered HTTP {response.status_code} {response.reason_phrase}"
    if response.status_code >= 500 or response.status_code in RETRYABLE_STATUS:
        raise ProviderError(message)
    raise BadInput(message, field="url")


async def _drain(response: httpx.Response, limits: Limits, sink: Callable[[bytes], object]) -> None:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.fetch_max_bytes:
        raise LimitExceeded(f"{display_url(response.url)} is {int(declared)} bytes, over the limit of "
                            f"{limits.fetch_max_bytes} bytes", field="url")
    received = 0
    async for chunk in response.aiter_bytes():  # decoded: a gzip bomb is counted as it expands
        received += len(chunk)
        if received > limits.fetch_max_bytes:
            raise LimitExceeded(f"{display_url(response.url)} is larger than the limit of "
                                f"{limits.fetch_max_bytes} bytes", field="url")
        sink(chunk)


@contextlib.contextmanager
def _translate_errors(target: Target, limits: Limits) -> Iterator[None]:
    """httpx's errors as mediamill's: refusals and hopeless URLs are BadInput, the rest retryable."""
    where = display_url(target.url)
    try:
        yield
    except (TimeoutError, httpx.TimeoutException):
        raise LimitExceeded(f"fetching {where} took longer than the limit of {limits.fetch_timeout_s} s",
                            field="url") from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise BadInput(f"cannot fetch {where}: {exc}", field="url") from None
    except httpx.ConnectError as exc:
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):
            raise BadInput(f"cannot fetch {where}: its TLS certificate is not valid ({exc})", field="url") from None
        raise ProviderError(f"cannot connect to fetch {where}: {exc}") from exc
    except httpx.HTTPError as exc:
        raise ProviderError(f"fetching {where} failed: {type(exc).__name__}: {exc}") from exc


def _name_from(url: httpx.URL) -> str | None:
    return unquote(PurePosixPath(url.path).name) or None

"""fetch_bytes / fetch_to_store against a real local HTTP server: success, redirects, limits, SSRF refusals."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from mediamill.errors import BadInput, LimitExceeded, ProviderError
from mediamill.fetcher import check_url, fetch_bytes, fetch_to_store
from mediamill.security import Limits
from mediamill.storage import open_store
from mediamill.storage.artifact import utcnow


def allow(origin, **limits) -> Limits:
    return Limits(fetch_allow_hosts=[origin.hostport], **limits)


async def test_fetch_bytes_sniffs_the_content(origin, png_bytes):
    data, mime = await fetch_bytes(origin.url("/photo"), allow(origin))
    assert data == png_bytes
    assert mime == "image/png"  # the server said text/html
    from io import BytesIO

    from PIL import Image
    assert Image.open(BytesIO(data)).size == (7, 5)


async def test_fetch_to_store_streams_into_the_store(origin, settings, png_bytes):
    settings.limits = allow(origin)
    store = open_store(settings)
    artifact = await fetch_to_store(origin.url("/photo/profile%20pic.png?size=2"), settings, store,
                                    key="fetch/job_1/0")
    assert artifact.mime == "image/png" and artifact.size == len(png_bytes)
    assert artifact.name == "profile pic.png"
    assert store.open(artifact.id).read() == png_bytes
    assert artifact.metadata["source_url"] == origin.url("/photo/profile%20pic.png")  # no query kept
    assert utcnow() + timedelta(hours=23) < artifact.expires_at <= utcnow() + timedelta(hours=24)
    # a retried job fetches to the same key: same id, no duplicate
    again = await fetch_to_store(origin.url("/photo/profile%20pic.png"), settings, store, key="fetch/job_1/0")
    assert again.id == artifact.id
    assert list(store.tmp_dir.iterdir()) == []


async def test_follows_redirects_within_allowed_hosts(origin):
    url = origin.url("/redirect?to=/redirect%3Fstatus%3D308%26to%3D/hello")
    data, mime = await fetch_bytes(url, allow(origin))
    assert data == b"hello from the origin\n" and mime == "text/plain"
    assert [path for path, _ in origin.requests][-1] == "/hello"


async def test_loopback_is_refused_without_the_allowlist(origin):
    with pytest.raises(BadInput, match=r"127\.0\.0\.1, a loopback address"):
        await fetch_bytes(origin.url("/hello"), Limits())
    assert origin.requests == []  # refused before connecting


@pytest.mark.parametrize("host", ["[::1]", "0.0.0.0", "2130706433", "0x7f.1", "127.1", "[::ffff:127.0.0.1]"])
async def test_loopback_spellings_are_refused(origin, host):
    with pytest.raises(BadInput, match="refused to fetch"):
        await fetch_bytes(f"http://{host}:{origin.port}/hello", allow(origin))
    assert origin.requests == []


async def test_metadata_address_is_refused():
    with pytest.raises(BadInput, match="169.254.169.254, a cloud metadata address"):
        await fetch_bytes("http://169.254.169.254/latest/meta-data/iam/", Limits())


async def test_redirect_to_a_private_address_is_refused(origin, other_origin):
    # Given an allowed origin that redirects to a local port nobody allowed
    url = origin.url(f"/redirect?to={other_origin.url('/hello')}")
    # Then the hop is refused and the second server never sees a request
    with pytest.raises(BadInput, match=f"127.0.0.1:{other_origin.port}: 127.0.0.1, a loopback address"):
        await fetch_bytes(url, allow(origin))
    assert other_origin.requests == []


async def test_redirect_to_metadata_is_refused(origin):
    with pytest.raises(BadInput, match="a cloud metadata address"):
        await fetch_bytes(origin.url("/redirect?to=http://169.254.169.254/latest/"), allow(origin))


async def test_redirect_to_a_name_resolving_privately_is_refused(origin):
    resolver = {"internal.example": ["10.0.0.5"]}
    with pytest.raises(BadInput, match="internal.example resolves to 10.0.0.5, a private address"):
        await fetch_bytes(origin.url("/redirect?to=http://internal.example/admin"), allow(origin),
                          resolver=lambda host, port: resolver[host])


async def test_redirect_to_another_scheme_is_refused(origin):
    with pytest.raises(BadInput, match="scheme 'file' is not allowed"):
        await fetch_bytes(origin.url("/redirect?to=file:///etc/passwd"), allow(origin))


async def test_redirect_loops_stop_at_the_limit(origin):
    with pytest.raises(BadInput, match="more than 3 redirects"):
        await fetch_bytes(origin.url("/loop"), allow(origin, fetch_max_redirects=3))
    assert len(origin.requests) == 4


async def test_connects_to_the_checked_address_and_keeps_the_host_name(origin):
    # Given a name (allow-listed) that resolves to the local server
    resolver = {"media.example": ["127.0.0.1"]}
    data, _ = await fetch_bytes(f"http://media.example:{origin.port}/host", Limits(fetch_allow_hosts=["media.example"]),
                                resolver=lambda host, port: resolver[host])
    # Then the request went to that address with the name in the Host header
    assert data == f"media.example:{origin.port}".encode()


async def test_dns_rebinding_is_caught_at_connect_time(origin):
    # Given a name that answers a public address first and the loopback afterwards
    answers = [["93.184.216.34"], ["127.0.0.1"]]
    calls = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[min(len(calls), 2) - 1]

    url = f"http://rebind.example:{origin.port}/hello"
    check_url(url, Limits(), resolver=rebinding)  # a separate, earlier check passes
    # Then the fetch resolves again for its connection and checks what it connects to
    with pytest.raises(BadInput, match="rebind.example resolves to 127.0.0.1, a loopback address"):
        await fetch_bytes(url, Limits(), resolver=rebinding)
    assert len(calls) == 2 and origin.requests == []


async def test_declared_oversized_body_is_refused(origin):
    with pytest.raises(LimitExceeded, match="is 5000 bytes, over the limit of 4096 bytes"):
        await fetch_bytes(origin.url("/big?size=5000"), allow(origin, fetch_max_bytes=4096))


async def test_streamed_oversized_body_is_cut_off(origin, settings):
    settings.limits = allow(origin, fetch_max_bytes=200_000)
    store = open_store(settings)
    with pytest.raises(LimitExceeded, match="larger than the limit of 200000 bytes"):
        await fetch_to_store(origin.url("/stream?chunks=64"), settings, store)
    assert list(store.tmp_dir.iterdir()) == []  # the partial download is gone
    assert list(store.iter_artifacts()) == []


async def test_decompression_bomb_is_counted_decoded(origin):
    with pytest.raises(LimitExceeded):
        await fetch_bytes(origin.url("/bomb?size=10000000"), allow(origin, fetch_max_bytes=1_000_000))


async def test_body_at_the_limit_passes(origin):
    data, _ = await fetch_bytes(origin.url("/big?size=4096"), allow(origin, fetch_max_bytes=4096))
    assert len(data) == 4096


async def test_slow_response_hits_the_time_limit(origin):
    with pytest.raises(LimitExceeded, match="took longer than the limit of 0.5 s"):
        await fetch_bytes(origin.url("/slow"), allow(origin, fetch_timeout_s=0.5))


async def test_client_errors_are_bad_input_server_errors_retryable(origin):
    with pytest.raises(BadInput, match="answered HTTP 404 Not Found"):
        await fetch_bytes(origin.url("/status/404"), allow(origin))
    with pytest.raises(ProviderError, match="answered HTTP 503"):
        await fetch_bytes(origin.url("/status/503"), allow(origin))


async def test_connection_refused_is_retryable():
    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ProviderError, match="cannot connect"):
        await fetch_bytes(f"http://127.0.0.1:{port}/", Limits(fetch_allow_hosts=[f"127.0.0.1:{port}"]))


async def test_environment_proxies_are_ignored(origin, monkeypatch):
    # A proxy would connect on our behalf, bypassing the address checks.
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    monkeypatch.setenv("ALL_PROXY", "http://10.9.9.9:3128")
    data, _ = await fetch_bytes(origin.url("/hello"), allow(origin))
    assert data.startswith(b"hello")


async def test_tls_checks_the_name_while_connecting_to_the_checked_address(tls_origin):
    # Given an HTTPS server on 127.0.0.1 with a certificate for media.test only
    resolver = {"media.test": ["127.0.0.1"]}
    limits = Limits(fetch_allow_hosts=["media.test", tls_origin.hostport])
    # Then fetching by name connects to the pinned address and verifies the certificate against the name
    data, _ = await fetch_bytes(f"https://media.test:{tls_origin.port}/host", limits,
                                resolver=lambda host, port: resolver[host])
    assert data == f"media.test:{tls_origin.port}".encode()
    # and the same server by address fails the certificate check (the name is what TLS verifies)
    with pytest.raises(BadInput, match="TLS certificate is not valid"):
        await fetch_bytes(f"https://{tls_origin.hostport}/host", limits)

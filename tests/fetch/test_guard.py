"""check_url and the address rules: schemes, encodings of private addresses, DNS answers, the allowlist."""

from __future__ import annotations

import socket

import pytest

from mediamill.errors import BadInput, ProviderError
from mediamill.fetch.addresses import literal_ip
from mediamill.fetcher import check_url
from mediamill.security import Limits

PUBLIC_V4, PUBLIC_V6 = "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"


def dns(table: dict[str, list[str]]):
    """An injected resolver: the tests never ask real DNS and never connect to what it answers."""
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]
    return resolve


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1/", "127.0.0.1, a loopback address"),
    ("http://127.8.9.10:8080/x", "a loopback address"),
    ("http://localhost./", "a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254, a cloud metadata address"),
    ("http://[fd00:ec2::254]/", "a cloud metadata address"),
    ("http://100.100.100.200/", "a cloud metadata address"),
    ("http://169.254.1.1/", "a link-local address"),
    ("http://[fe80::1]/", "a link-local address"),
    ("http://[::1]/", "::1, a loopback address"),
    ("http://[::]/", "an unspecified address"),
    ("http://0.0.0.0/", "0.0.0.0, an unspecified address"),
    ("http://0/", "an unspecified address"),
    ("http://2130706433/", "2130706433 is 127.0.0.1, a loopback address"),  # decimal
    ("http://0x7f000001/", "is 127.0.0.1, a loopback address"),  # hex
    ("http://0x7f.1/", "is 127.0.0.1, a loopback address"),
    ("http://127.1/", "is 127.0.0.1, a loopback address"),
    ("http://017700000001/", "is 127.0.0.1, a loopback address"),  # octal
    ("http://[::ffff:127.0.0.1]/", "an IPv4-mapped IPv6 address"),
    ("http://[::ffff:a9fe:a9fe]/", "a cloud metadata address"),  # mapped 169.254.169.254
    ("http://[2002:7f00:1::]/", "embedding 127.0.0.1, a loopback address"),  # 6to4
    ("http://[64:ff9b::a00:1]/", "embedding 10.0.0.1, a private address"),  # NAT64
    ("http://10.1.2.3/", "a private address"),
    ("http://172.16.0.1/", "a private address"),
    ("http://192.168.1.1/", "a private address"),
    ("http://[fc00::1]/", "a private address"),
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://224.0.0.1/", "a multicast address"),
    ("http://[ff02::1]/", "a multicast address"),
    ("http://240.0.0.1/", "reserved"),
    ("http://192.0.2.1/", "a private address"),  # documentation range
    ("https://255.255.255.255/", "address"),
])
def test_refuses_non_public_addresses(url, reason):
    resolver = dns({"localhost.": ["127.0.0.1"]})
    with pytest.raises(BadInput, match="refused to fetch") as caught:
        check_url(url, Limits(), resolver=resolver)
    assert reason in caught.value.message
    assert "fetch_allow_hosts" in caught.value.message


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/",
                                 "javascript:alert(1)", "dict://127.0.0.1:11211/", "//example.com/x"])
def test_refuses_other_schemes(url):
    with pytest.raises(BadInput, match="scheme"):
        check_url(url, Limits(), resolver=dns({}))


@pytest.mark.parametrize("url", ["http://", "http:///path", "http://exa mple.com/", "not a url at all",
                                 "http://0177.0.0.1/", "http://0251.0376.0251.0376/"])  # httpx refuses octal quads
def test_refuses_malformed_urls(url):
    with pytest.raises(BadInput):
        check_url(url, Limits(), resolver=dns({}))


def test_scheme_list_can_be_narrowed():
    resolver = dns({"cdn.example": [PUBLIC_V4]})
    check_url("https://cdn.example/a.png", Limits(fetch_allowed_schemes=["https"]), resolver=resolver)
    with pytest.raises(BadInput, match="'http' is not allowed"):
        check_url("http://cdn.example/a.png", Limits(fetch_allowed_schemes=["https"]), resolver=resolver)


def test_public_dns_answers_pass():
    resolver = dns({"cdn.example": [PUBLIC_V4, PUBLIC_V6]})
    check_url("https://cdn.example/photo.jpg", Limits(), resolver=resolver)
    check_url(f"http://{PUBLIC_V4}/", Limits(), resolver=resolver)
    check_url(f"http://[{PUBLIC_V6}]:8443/", Limits(), resolver=resolver)


def test_any_private_answer_refuses_the_host():
    # Given a name with one public and one private A record (an attacker controls both)
    resolver = dns({"mixed.example": [PUBLIC_V4, "10.0.0.7"]})
    # Then the host is refused: the connection could go to either
    with pytest.raises(BadInput, match="mixed.example resolves to 10.0.0.7, a private address"):
        check_url("https://mixed.example/", Limits(), resolver=resolver)


def test_names_resolving_to_metadata_are_refused():
    resolver = dns({"metadata.attacker.example": ["169.254.169.254"]})
    with pytest.raises(BadInput, match="resolves to 169.254.169.254, a cloud metadata address"):
        check_url("http://metadata.attacker.example/", Limits(), resolver=resolver)


def test_unresolvable_host_is_bad_input():
    with pytest.raises(BadInput, match="cannot resolve host 'nowhere.invalid'"):
        check_url("http://nowhere.invalid/", Limits(), resolver=dns({}))


def test_temporary_dns_failure_is_retryable():
    def flaky(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    with pytest.raises(ProviderError, match="temporary DNS failure resolving 'cdn.example'") as caught:
        check_url("http://cdn.example/", Limits(), resolver=flaky)
    assert caught.value.retryable


def test_allowlist_opens_a_host_or_a_host_and_port():
    resolver = dns({"minio.internal": ["10.0.0.9"]})
    check_url("http://minio.internal:9000/b/k", Limits(fetch_allow_hosts=["minio.internal"]), resolver=resolver)
    check_url("http://127.0.0.1:8080/", Limits(fetch_allow_hosts=["127.0.0.1:8080"]), resolver=resolver)
    check_url("http://[::1]:8080/", Limits(fetch_allow_hosts=["[::1]:8080"]), resolver=resolver)
    with pytest.raises(BadInput, match="loopback"):  # another port of an allowed host:port
        check_url("http://127.0.0.1:8081/", Limits(fetch_allow_hosts=["127.0.0.1:8080"]), resolver=resolver)
    with pytest.raises(BadInput, match="loopback"):  # the same address spelled differently
        check_url("http://2130706433:8080/", Limits(fetch_allow_hosts=["127.0.0.1:8080"]), resolver=resolver)


def test_error_message_never_echoes_credentials():
    with pytest.raises(BadInput) as caught:
        check_url("ftp://user:s3cret@example.com/x?token=abc", Limits(), resolver=dns({}))
    assert "s3cret" not in caught.value.message and "token" not in caught.value.message


@pytest.mark.parametrize(("host", "expected"), [
    ("2130706433", "127.0.0.1"), ("0x7f.0.0.1", "127.0.0.1"), ("0177.0.0.01", "127.0.0.1"),
    ("10.1", "10.0.0.1"), ("[::1]", "::1"), ("cafe.example", None), ("deadbeef", None), ("1.2.3.4.5", None),
])
def test_literal_ip_reads_every_spelling(host, expected):
    found = literal_ip(host)
    assert (str(found) if found else None) == expected


def test_allowlist_matches_international_names_in_idna_form():
    resolver = dns({"xn--bcher-kva.example": ["10.0.0.3"]})
    check_url("http://bücher.example/", Limits(fetch_allow_hosts=["Bücher.example"]), resolver=resolver)
    with pytest.raises(BadInput, match="xn--bcher-kva.example resolves to 10.0.0.3"):
        check_url("http://bücher.example/", Limits(), resolver=resolver)

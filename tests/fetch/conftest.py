"""A local HTTP server to fetch from, and a fence that fails any test trying to connect off this machine."""

from __future__ import annotations

import asyncio
import functools
import gzip
import io
import ipaddress
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest


@functools.cache
def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (7, 5), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def png_bytes() -> bytes:
    """What /photo serves: a 7x5 PNG."""
    return _png()


@dataclass
class Origin:
    """The running server: its base URL, the requests it saw (path, Host header), a stop signal."""

    host: str
    port: int
    requests: list[tuple[str, str]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def hostport(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path


class Handler(BaseHTTPRequestHandler):
    origin: Origin  # set per server class below
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.origin.requests.append((self.path, self.headers.get("Host", "")))
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        route = getattr(self, "route_" + url.path.strip("/").split("/")[0].replace("-", "_"), None)
        if route is None:
            return self.reply(404, b"not found")
        route(url.path, query)

    def reply(self, status: int, body: bytes, content_type: str = "application/octet-stream",
              headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def route_hello(self, path: str, query: dict) -> None:
        self.reply(200, b"hello from the origin\n", "text/plain")

    def route_photo(self, path: str, query: dict) -> None:
        # Served with a lying type and name: the fetcher must sniff the content.
        self.reply(200, _png(), "text/html")

    def route_host(self, path: str, query: dict) -> None:
        self.reply(200, self.headers.get("Host", "").encode(), "text/plain")

    def route_redirect(self, path: str, query: dict) -> None:
        self.reply(int(query.get("status", 302)), b"", headers={"Location": query["to"]})

    def route_loop(self, path: str, query: dict) -> None:
        self.reply(302, b"", headers={"Location": "/loop"})

    def route_status(self, path: str, query: dict) -> None:
        self.reply(int(path.rsplit("/", 1)[1]), b"status page")

    def route_big(self, path: str, query: dict) -> None:
        self.reply(200, b"x" * int(query["size"]))

    def route_stream(self, path: str, query: dict) -> None:
        """A chunked body with no Content-Length: only counting while streaming catches its size."""
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"y" * 65536
        try:
            for _ in range(int(query["chunks"])):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def route_bomb(self, path: str, query: dict) -> None:
        self.reply(200, gzip.compress(b"\0" * int(query["size"])), headers={"Content-Encoding": "gzip"})

    def route_slow(self, path: str, query: dict) -> None:
        """Headers at once, then a trickle of body bytes far slower than the time limit allows."""
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                if self.origin.stopping.wait(0.05):
                    return
                self.wfile.write(b"z")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


def _serve(host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> Iterator[Origin]:
    origin = Origin(host, 0)
    handler = type("BoundHandler", (Handler,), {"origin": origin})
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    if tls is not None:
        # The handshake happens on first read, in the handler thread: a client that never finishes
        # it cannot block the accept loop (and with it server.shutdown()).
        server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    origin.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield origin
    finally:
        origin.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
        time.sleep(0.05)  # let handler threads notice the stop signal


@pytest.fixture
def origin() -> Iterator[Origin]:
    yield from _serve()


@pytest.fixture
def other_origin() -> Iterator[Origin]:
    """A second local server, on a port the tests do not allow-list."""
    yield from _serve()


@pytest.fixture
def tls_origin(tmp_path, monkeypatch) -> Iterator[Origin]:
    """An HTTPS server on 127.0.0.1 whose certificate names only `media.test` (trusted via SSL_CERT_FILE)."""
    cert, key = _self_signed("media.test", tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    yield from _serve(tls=context)


def _self_signed(name: str, folder) -> tuple:
    import datetime

    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(autouse=True)
def network_fence(monkeypatch):
    """Fail the test if anything tries to open a TCP connection outside 127.0.0.0/8 and ::1.

    The fetcher must refuse those addresses itself; this fence only makes sure a bug in it can never
    send a test's traffic off this machine.
    """
    original = asyncio.base_events.BaseEventLoop.create_connection
    attempts: list[str] = []

    async def fenced(self, protocol_factory, host=None, port=None, *args, **kwargs):
        if host is not None:
            ip = ipaddress.ip_address(host)
            if not ip.is_loopback:
                attempts.append(host)
                raise AssertionError(f"test tried to connect to {host}:{port}, outside the loopback")
        return await original(self, protocol_factory, host, port, *args, **kwargs)

    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "create_connection", fenced)
    yield attempts
    assert not attempts, f"connections attempted outside the loopback: {attempts}"

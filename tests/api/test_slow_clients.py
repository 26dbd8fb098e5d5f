"""Slow clients over real sockets against the real server: headers one line every 3 s, a trickling
body, and a chunked body that never ends are all cut; a normal client on the same server is served."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import httpx
import pytest

from mediamill.api.server import build_server
from mediamill.db.session import close_database
from mediamill.testing import free_port

HEADER_TIMEOUT_S = 4.0
BODY_TIMEOUT_S = 3.0
LIMIT = 256 * 1024


@pytest.fixture
def server(settings):
    port = free_port()
    tuned = settings.model_copy(update={"api_header_timeout_s": HEADER_TIMEOUT_S,
                                        "api_body_timeout_s": BODY_TIMEOUT_S,
                                        "limits": settings.limits.model_copy(update={"max_upload_bytes": LIMIT})})
    server = build_server(tuned, "127.0.0.1", port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=15)
    close_database(tuned)


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed (EOF or reset); False while it is still open."""
    sock.setblocking(False)
    try:
        data = sock.recv(65536)
    except BlockingIOError:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True
    finally:
        sock.setblocking(True)
    return data == b"" or b"HTTP/1.1 4" in data  # an error answer then close also ends it


def trickle(sock: socket.socket, pieces, every_s: float, give_up_s: float = 30.0) -> float:
    """Send pieces every `every_s` until the server closes; returns the seconds it took."""
    started = time.monotonic()
    for piece in pieces:
        if time.monotonic() - started > give_up_s:
            break
        try:
            sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started
        end = time.monotonic() + every_s
        while time.monotonic() < end:
            if closed_by_server(sock):
                return time.monotonic() - started
            time.sleep(0.05)
    raise AssertionError(f"the server still held the connection after {give_up_s} s")


def header_lines():
    yield b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    n = 0
    while True:
        n += 1
        yield f"X-Slow-{n}: {n}\r\n".encode()


@pytest.mark.slow
def test_slow_headers_slow_body_and_endless_body_are_cut(server):
    port = server
    with contextlib.closing(socket.create_connection(("127.0.0.1", port))) as sock:
        took = trickle(sock, header_lines(), every_s=3.0)
    assert took < HEADER_TIMEOUT_S + 10

    # A body that trickles: 10 bytes a second of a declared 10,000
    with contextlib.closing(socket.create_connection(("127.0.0.1", port))) as sock:
        head = (b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 10000\r\n\r\n")
        took = trickle(sock, [head, *([b"x" * 10] * 1000)], every_s=1.0)
    assert took < BODY_TIMEOUT_S + 10

    # A chunked body that never ends, sent as fast as possible: cut near the size limit
    with contextlib.closing(socket.create_connection(("127.0.0.1", port))) as sock:
        sock.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"y" * 64 * 1024)
        sent = 0
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            sock.settimeout(10)
            while sent < 200 * LIMIT:
                sock.sendall(chunk)
                sent += len(chunk)
                if closed_by_server(sock):
                    raise ConnectionResetError("closed")
    assert sent < 20 * LIMIT  # socket buffers hold some; far from the 200x it tried

    # A normal client is still served, twice on one kept-alive connection
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        for _ in range(2):
            assert http.get("/healthz").status_code == 200
        assert http.post("/v1/jobs", json={"task": "file.inspect"}).status_code in (400, 422)

"""A local server that speaks OpenAI's image API, shared by image.enhance's and image.generate's tests."""

from __future__ import annotations

import base64
import contextlib
import http.server
import io
import json
import threading
import time

import pytest

GREEN = (10, 200, 10)
# What `server.answer` makes it say instead of an image (status, extra headers, body).
ANSWERS = {
    "500": (500, {}, {"error": {"message": "overloaded"}}),
    "429": (429, {"Retry-After": "7"}, {"error": {"message": "Rate limit reached", "type": "requests"}}),
    "refusal": (400, {}, {"error": {"code": "moderation_blocked", "type": "image_generation_user_error",
                                    "message": "Your request was rejected by the safety system."}}),
}


def _green_png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), GREEN).save(out, format="PNG")
    return out.getvalue()


class _ImagesAPI(http.server.BaseHTTPRequestHandler):
    """POST /v1/images/edits (multipart in, two b64_json images out: `server.png` or 64x48 green) and
    /v1/images/generations (JSON in, one green image of the requested size out); `server.answer`
    ("ok", "slow": 3 s late, or a key of ANSWERS) picks the reply."""

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        edits = self.path.endswith("/images/edits")
        self.server.calls.append({"path": self.path, "auth": self.headers["Authorization"], "body": body,
                                  "json": None if edits else json.loads(body)})
        if self.server.answer == "slow":
            time.sleep(3)
        status, headers, payload = ANSWERS.get(self.server.answer, (200, {}, None))
        if payload is None and edits:
            png = self.server.png or _green_png(64, 48)
            payload = {"created": 1, "data": [{"b64_json": base64.b64encode(png).decode()}] * 2}
        elif payload is None:
            width, height = map(int, json.loads(body)["size"].split("x"))
            payload = {"created": 1, "data": [{"b64_json": base64.b64encode(_green_png(width, height)).decode()}]}
        data = json.dumps(payload).encode()
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", "Content-Length": str(len(data)), **headers}.items():
            self.send_header(key, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client may have timed out
            self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def images_api(monkeypatch):
    """The server, with MEDIAMILL_OPENAI_API_KEY and MEDIAMILL_OPENAI_BASE_URL pointing at it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ImagesAPI)
    server.calls, server.answer, server.png = [], "ok", None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("MEDIAMILL_OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("MEDIAMILL_OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    yield server
    server.shutdown()
    server.server_close()

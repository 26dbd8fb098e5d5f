"""A scripted LLM server for tests (ships with the boundary, like httpx's MockTransport).

It speaks the three wire formats the adapters use, records every request (path, headers, JSON body),
and answers from a script: `StubLLM(["{...}", Reply(status=429)])`. Use it in-process with
`stub.transport()` or over real sockets with `with stub.serve() as base_url:` (127.0.0.1, a thread).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


@dataclass
class Reply:
    """One scripted answer: model text in the right shape, or a raw status/body, optionally late."""

    text: str | None = None
    status: int = 200
    body: dict | str | None = None
    delay_s: float = 0.0


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    json: dict


@dataclass
class StubLLM:
    script: list[str | Reply] = field(default_factory=list)
    # Answers once the script is used up: (api, request body) -> model text.
    default: Callable[[str, dict], str] = lambda api, body: "{}"
    requests: list[Recorded] = field(default_factory=list)

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict | str, float]:
        body = json.loads(raw or b"{}")
        self.requests.append(Recorded(method, path, {k.lower(): v for k, v in headers.items()}, body))
        api = api_of(path)
        if api == "unknown":
            return 404, {"error": {"message": f"no such endpoint: {path}"}}, 0.0
        reply = self.script.pop(0) if self.script else Reply(text=self.default(api, body))
        if isinstance(reply, str):
            reply = Reply(text=reply)
        if reply.text is None:
            return reply.status, reply.body if reply.body is not None else {"error": {"message": "scripted"}}, reply.delay_s
        return reply.status, shape(api, reply.text, body), reply.delay_s

    # -- in-process -------------------------------------------------------------------------
    def transport(self) -> httpx.MockTransport:
        async def answer(request: httpx.Request) -> httpx.Response:
            status, body, _ = self.handle(request.method, request.url.path, dict(request.headers), request.content)
            return _response(status, body)

        return httpx.MockTransport(answer)

    # -- over a socket ----------------------------------------------------------------------
    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        """A real HTTP server on 127.0.0.1 for the block; yields its base URL (http://127.0.0.1:PORT)."""
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                status, body, delay = stub.handle("POST", self.path, dict(self.headers.items()), raw)
                time.sleep(delay)
                payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                with contextlib.suppress(OSError):  # the client may have timed out and gone
                    self.send_response(status)
                    self.send_header("content-type", "text/plain" if isinstance(body, str) else "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                return None

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="stub-llm",
                                  daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def api_of(path: str) -> str:
    if path.endswith("/chat/completions"):
        return "openai"
    if path.endswith("/v1/messages"):
        return "anthropic"
    if ":generateContent" in path:
        return "gemini"
    return "unknown"


def shape(api: str, text: str, request: dict) -> dict:
    """`text` as the given API would return it."""
    if api == "openai":
        return {"id": "chatcmpl-stub", "object": "chat.completion", "model": request.get("model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    if api == "anthropic":
        return {"id": "msg_stub", "type": "message", "role": "assistant", "model": request.get("model"),
                "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                "usage": {"input_tokens": 1, "output_tokens": 1}}
    if api == "gemini":
        return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}]}
    return {"error": {"message": "unknown endpoint"}}


def _response(status: int, body: dict | str) -> httpx.Response:
    if isinstance(body, str):
        return httpx.Response(status, text=body)
    return httpx.Response(status, json=body)

"""uvicorn's httptools protocol with the deadlines it lacks: slow headers and slow bodies are cut.

uvicorn times out idle keep-alive connections only. A client that sends one header line every few
seconds, or a body that trickles and never ends, holds a connection (and, for a body, an upload
task) for as long as it likes: a few hundred such clients exhaust the server. Here:
- the request line and headers must arrive within `header_timeout_s` of the request's first byte;
- the whole body must arrive within `body_timeout_s` of the headers' end;
- a body larger than `max_body_bytes` closes the connection (the upload code has its own, exact,
  limit with a clear 413; this is the backstop for routes that never read the body).
On a deadline the connection is closed; a request being handled sees a disconnect.
"""

from __future__ import annotations

from asyncio import TimerHandle

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mediamill.logs import get_logger

log = get_logger("mediamill.api")


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    header_timeout_s: float = 10.0
    body_timeout_s: float = 300.0
    max_body_bytes: int = 0  # 0 = no backstop

    _deadline: TimerHandle | None = None
    _body_bytes: int = 0

    @classmethod
    def with_limits(cls, header_timeout_s: float, body_timeout_s: float, max_body_bytes: int) -> type:
        return type("GuardedHttpToolsProtocol", (cls,), {"header_timeout_s": header_timeout_s,
                                                         "body_timeout_s": body_timeout_s,
                                                         "max_body_bytes": max_body_bytes})

    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired, what)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self, what: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        log.warning("closing a slow connection", what=what, client=_peer(self.client))
        self._cut()

    def _cut(self) -> None:
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.close()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout_s, "headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._body_bytes = 0
        if self._deadline is None:  # the next request on a kept-alive connection
            self._arm(self.header_timeout_s, "headers")

    def on_headers_complete(self) -> None:
        self._arm(self.body_timeout_s, "body")
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self.transport.is_closing():
            return  # cut: the rest of what the parser holds is dropped
        self._body_bytes += len(body)
        if self.max_body_bytes and self._body_bytes > self.max_body_bytes:
            log.warning("closing a connection whose body passed the limit", limit=self.max_body_bytes,
                        client=_peer(self.client))
            self._disarm()
            self._cut()
            return
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()


def _peer(client) -> str:
    return f"{client[0]}:{client[1]}" if client else "?"

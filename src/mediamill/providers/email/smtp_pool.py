"""Open SMTP connections to one server, reused from message to message (per event loop).

A new connection per message costs a TCP handshake, the greeting, EHLO, STARTTLS and AUTH: more than
the message itself for a local relay. A connection goes back to the pool after a message the server
answered (accepted or refused); one that failed in any other way is closed, never reused.

A server may drop a connection it has kept idle. One idle for longer than `CHECK_AFTER_S` is asked
NOOP first (a dead one is replaced before any message is given to it); one idle past `IDLE_S`, or
that has carried `MAX_MESSAGES`, is closed. So a reused connection never fails a message it could
have sent, and "a retried job never sends twice" holds exactly as with one connection per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import Callable

import aiosmtplib

# Servers close idle clients after minutes (RFC 5321 asks for at least 5); these stay well under.
CHECK_AFTER_S = 5.0
IDLE_S = 60.0
# Some relays limit the messages per connection (often 100): start a new one before that.
MAX_MESSAGES = 100
# Connections kept open while unused; the queue's concurrency (10) bounds how many are ever busy.
MAX_IDLE = 16


class _Connection:
    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.client, self.sent, self.last_used = client, 0, time.monotonic()


class SmtpPool:
    """Connections made by `connect()`, kept per event loop (a connection belongs to its loop)."""

    def __init__(self, connect: Callable[[], aiosmtplib.SMTP]) -> None:
        self._make = connect
        self._idle: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[_Connection]] = \
            weakref.WeakKeyDictionary()

    async def take(self) -> _Connection:
        """A connected client: an idle one that is still good, else a new one."""
        idle = self._idle.setdefault(asyncio.get_running_loop(), [])
        while idle:
            connection = idle.pop()
            age = time.monotonic() - connection.last_used
            if not connection.client.is_connected or age > IDLE_S:
                await _close(connection)
                continue
            if age > CHECK_AFTER_S:
                try:
                    await connection.client.noop()
                except (aiosmtplib.SMTPException, OSError):
                    await _close(connection)
                    continue
            return connection
        client = self._make()
        await client.connect()
        return _Connection(client)

    async def give_back(self, connection: _Connection, *, reusable: bool) -> None:
        """Keep the connection for the next message, or close it (after an error, or when it is used up)."""
        connection.sent += 1
        connection.last_used = time.monotonic()
        idle = self._idle.setdefault(asyncio.get_running_loop(), [])
        if reusable and connection.sent < MAX_MESSAGES and connection.client.is_connected and len(idle) < MAX_IDLE:
            idle.append(connection)
        else:
            await _close(connection)

    async def close(self) -> None:
        idle = self._idle.pop(asyncio.get_running_loop(), [])
        for connection in idle:
            await _close(connection)


async def _close(connection: _Connection) -> None:
    """QUIT politely when the server still listens; a dead connection is just dropped."""
    client = connection.client
    if client.is_connected:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
            await asyncio.wait_for(client.quit(), timeout=2.0)
    client.close()

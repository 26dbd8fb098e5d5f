"""The outbox transport for development: each message becomes a `.eml` file a mail client can open."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from mediamill.providers.email.base import Accepted, Outgoing

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class OutboxTransport:
    name = "outbox"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: Outgoing, recipients: list[str]) -> Accepted:
        return await asyncio.to_thread(self._write, message)

    def _write(self, message: Outgoing) -> Accepted:
        self.directory.mkdir(parents=True, exist_ok=True)
        stem = _UNSAFE.sub("_", message.message_id.strip("<>"))
        path = self.directory / f"{stem}.eml"
        partial = path.with_suffix(".eml.partial")
        partial.write_bytes(message.raw)
        os.replace(partial, path)  # a reader never sees half a message
        return Accepted(provider_id=path.name, refused={})

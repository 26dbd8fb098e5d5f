"""The email transport boundary: one `send(message, recipients)` per transport, and what it returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """A message ready to go: its MIME bytes (CRLF line ends) and what the envelope needs."""

    raw: bytes
    sender: str  # MAIL FROM
    message_id: str
    smtputf8: bool = False  # an address in the headers is not ASCII (the server must take SMTPUTF8)


@dataclass(frozen=True)
class Accepted:
    """The transport took the message. `provider_id` is SES's MessageId, or the SMTP server's reply."""

    provider_id: str
    refused: dict[str, str]  # recipients the server refused while accepting the others


class Transport(Protocol):
    """Raises BadInput when the message is refused for good (5xx, unknown sender) and ProviderError
    when it may go through later (4xx, timeouts, connection failures): the queue retries those."""

    name: str

    async def send(self, message: Outgoing, recipients: list[str]) -> Accepted: ...

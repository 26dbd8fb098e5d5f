"""SMTP through aiosmtplib: STARTTLS or implicit TLS, optional AUTH, pooled connections; replies sorted into retry or not."""

from __future__ import annotations

import contextlib
import functools
import socket
from collections.abc import Iterator

import aiosmtplib

from mediamill.errors import BadInput, ProviderError
from mediamill.providers.email.base import Accepted, Outgoing
from mediamill.providers.email.smtp_pool import SmtpPool
from mediamill.settings import EmailSettings


class SmtpTransport:
    """Messages go over pooled connections to the one configured server (see `smtp_pool`)."""

    name = "smtp"

    def __init__(self, config: EmailSettings) -> None:
        self.config = config
        self.pool = SmtpPool(self._client)

    def _client(self) -> aiosmtplib.SMTP:
        config = self.config
        return aiosmtplib.SMTP(
            hostname=config.smtp_host, port=config.smtp_port, username=config.smtp_username,
            password=config.smtp_password, use_tls=config.smtp_security == "tls",
            start_tls=config.smtp_security == "starttls", timeout=config.smtp_timeout_s,
            cert_bundle=str(config.smtp_ca_file) if config.smtp_ca_file else None,
            local_hostname=_local_hostname(),
        )

    async def send(self, message: Outgoing, recipients: list[str]) -> Accepted:
        config = self.config
        with translate_smtp_errors(f"{config.smtp_host}:{config.smtp_port}"):
            connection = await self.pool.take()
            reusable = False
            try:
                # The bytes as composed: send_message would flatten (and parse) the message again.
                refused, reply = await connection.client.sendmail(
                    message.sender, recipients, message.raw, mail_options=["SMTPUTF8"] if message.smtputf8 else [])
                reusable = True
            finally:
                await self.pool.give_back(connection, reusable=reusable)
        return Accepted(provider_id=reply.strip()[:255],
                        refused={address: str(response) for address, response in refused.items()})


@functools.cache
def _local_hostname() -> str:
    """The EHLO name: socket.getfqdn() may ask DNS, so once per process rather than per connection."""
    return socket.getfqdn()


@contextlib.contextmanager
def translate_smtp_errors(server: str) -> Iterator[None]:
    """5xx replies are final (BadInput naming what was refused); everything else is worth a retry."""
    try:
        yield
    except aiosmtplib.SMTPRecipientsRefused as exc:
        details = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        if all(500 <= r.code < 600 for r in exc.recipients):
            raise BadInput(f"{server} refused every recipient: {details}", field="to") from None
        raise ProviderError(f"{server} deferred the recipients: {details}") from None
    except aiosmtplib.SMTPSenderRefused as exc:
        if 500 <= exc.code < 600:
            raise BadInput(f"{server} refused the sender {exc.sender}: {exc.code} {exc.message}",
                           field="email.from_address") from None
        raise ProviderError(f"{server} deferred the sender: {exc.code} {exc.message}") from None
    except aiosmtplib.SMTPAuthenticationError as exc:
        # Wrong credentials do not fix themselves, but an operator may fix them: retry with backoff.
        raise ProviderError(f"{server} refused the login: {exc.code} {exc.message}") from None
    except aiosmtplib.SMTPResponseException as exc:
        if 500 <= exc.code < 600:
            raise BadInput(f"{server} refused the message: {exc.code} {exc.message}", field="message") from None
        raise ProviderError(f"{server} answered {exc.code} {exc.message}") from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        # Includes a connection lost after DATA: the server may have taken the message; the retry
        # resends it with the same Message-ID (see docs/guides/messaging.md, "Idempotency").
        raise ProviderError(f"could not send through {server}: {type(exc).__name__}: {exc}") from None

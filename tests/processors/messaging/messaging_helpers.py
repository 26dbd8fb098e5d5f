"""Messaging test helpers: the aiosmtpd handler that keeps what it accepts, and running email.send directly."""

from __future__ import annotations

import email
import email.policy
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.smtp import AuthResult, LoginPassword

from mediamill.tasks.registry import get_task
from mediamill.testing import make_context


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


@dataclass
class Inbox:
    """An aiosmtpd handler: keeps what it accepted; `script` gives replies to DATA in turn ("250" = accept)."""

    received: list[Received] = field(default_factory=list)
    script: list[str] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered 550 at RCPT

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd API
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        reply = self.script.pop(0) if self.script else "250"
        if not reply.startswith("250"):
            return reply
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return f"250 2.0.0 Ok: queued as Q{len(self.received)}"


async def send(settings, params: dict, *, job_id: str = "job_test") -> tuple[dict, object]:
    """Run email.send in this process as the worker would: params parsed, a real TaskContext."""
    spec = get_task("email.send")
    ctx = make_context(settings, "email.send", job_id=job_id)
    return await spec.fn(ctx, spec.parse_params(params)), ctx


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def authenticator(username: str, password: str):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == username.encode() \
            and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False)

    return check

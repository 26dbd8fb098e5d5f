"""Email transports (SMTP default, SES v2, a .eml outbox), chosen by `Settings.email.transport`."""

from __future__ import annotations

from mediamill.providers.email.base import Accepted, Transport
from mediamill.providers.email.outbox import OutboxTransport
from mediamill.providers.email.smtp import SmtpTransport
from mediamill.settings import Settings

__all__ = ["Accepted", "OutboxTransport", "SmtpTransport", "Transport", "open_transport"]


def open_transport(settings: Settings) -> Transport:
    config = settings.email
    if config.transport == "ses":
        # boto3 takes ~0.5 s to import (measured with -X importtime): only SES users pay for it.
        from mediamill.providers.email.ses import SesTransport

        return SesTransport(config)
    if config.transport == "outbox":
        return OutboxTransport(config.outbox_dir or settings.resolved_data_dir / "outbox")
    return SmtpTransport(config)

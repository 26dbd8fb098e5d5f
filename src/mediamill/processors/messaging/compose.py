"""Building the MIME message: text and HTML alternatives, an inline logo, attachments, the headers.

Structure (what the tests check):
    multipart/mixed                    only when there are attachments
    ├── multipart/alternative
    │   ├── text/plain
    │   └── multipart/related          only when a logo is embedded
    │       ├── text/html
    │       └── image/* (Content-ID)
    └── attachments...
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from mediamill.processors.messaging.attachments import Part
from mediamill.processors.messaging.templating import Rendered

LOGO_CID = "brand-logo@mediamill"


@dataclass(frozen=True)
class Envelope:
    sender: str
    sender_name: str
    recipients: list[str]
    subject: str
    reply_to: str | None
    idempotency_key: str
    template: str | None


def message_id_for(key: str, sender: str) -> str:
    """The same Message-ID on every attempt of one message, so receivers can fold a duplicate the
    rare interrupted attempt may cause (see the guide's "Idempotency")."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{sender.rpartition('@')[2] or 'mediamill.local'}>"


def compose(envelope: Envelope, body: Rendered, attachments: list[Part], logo: Part | None = None,
            now: datetime | None = None) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = formataddr((envelope.sender_name, envelope.sender))
    message["To"] = ", ".join(envelope.recipients)
    message["Subject"] = envelope.subject
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id_for(envelope.idempotency_key, envelope.sender)
    if envelope.reply_to:
        message["Reply-To"] = envelope.reply_to
    if body.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{body.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058: one click, no page
    if envelope.template:
        message["X-Mediamill-Template"] = envelope.template
    message.set_content(body.text, subtype="plain", charset="utf-8")
    if body.html is not None:
        message.add_alternative(body.html, subtype="html", charset="utf-8")
        if logo is not None:
            html_part = message.get_payload()[1]
            maintype, _, subtype = logo.content_type.partition("/")
            html_part.add_related(logo.data, maintype=maintype, subtype=subtype, cid=f"<{LOGO_CID}>",
                                  filename=logo.filename, disposition="inline")
    for part in attachments:
        maintype, _, subtype = part.content_type.partition("/")
        message.add_attachment(part.data, maintype=maintype or "application", subtype=subtype or "octet-stream",
                               filename=part.filename)
    return message

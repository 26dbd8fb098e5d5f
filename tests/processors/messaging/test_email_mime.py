"""The MIME writer: what it writes is read back by the standard library's parser as it was meant."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

from mediamill.processors.messaging.attachments import Part
from mediamill.processors.messaging.compose import LOGO_CID, Envelope, compose
from mediamill.processors.messaging.templating import Rendered


def envelope(**changes) -> Envelope:
    fields = {"sender": "noreply@mediamill.test", "sender_name": "Médiamill, Studio", "recipients": ["a@example.com"],
              "subject": "Hello", "reply_to": None, "idempotency_key": "k1", "template": None}
    return Envelope(**{**fields, **changes})


def parsed(outgoing) -> email.message.EmailMessage:
    raw = outgoing.raw
    assert b"\n" not in raw.replace(b"\r\n", b"") and all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in message.walk():
        assert not part.defects, part.defects
    return message


def test_non_ascii_and_long_text_survive_the_round_trip():
    subject = "Ünïcode — " + "long words " * 60
    html = "<p>" + "é" * 3000 + "</p>"  # one long line with non-ASCII: quoted-printable
    message = parsed(compose(envelope(subject=subject.strip()), Rendered(html=html, text="Grüße\n. a dot line\n", unsubscribe_url=None), []))
    assert message["Subject"] == subject.strip()
    assert message["From"].addresses[0].display_name == "Médiamill, Studio"
    assert message["From"].addresses[0].addr_spec == "noreply@mediamill.test"
    text, html_part = message.get_payload()
    # Quoted-printable keeps its hard line breaks as CRLF (the standard library reads its own so too).
    assert text.get_content().replace("\r\n", "\n") == "Grüße\n. a dot line\n"
    assert html_part.get_content().replace("\r\n", "\n") == html + "\n"
    assert html_part["Content-Transfer-Encoding"] == "quoted-printable"


def test_plain_ascii_is_7bit_and_one_part():
    outgoing = compose(envelope(), Rendered(html=None, text="Plain text", unsubscribe_url=None), [], now=datetime(2026, 1, 2, tzinfo=UTC))
    message = parsed(outgoing)
    assert message.get_content_type() == "text/plain" and message["Content-Transfer-Encoding"] == "7bit"
    assert message.get_content().replace("\r\n", "\n") == "Plain text\n" and message["Date"].datetime == datetime(2026, 1, 2, tzinfo=UTC)
    assert message["Message-ID"] == outgoing.message_id and not outgoing.smtputf8


def test_logo_attachments_and_many_recipients():
    recipients = [f"person{index}@example.com" for index in range(40)]
    logo = Part("logo.png", "image/png", b"\x89PNG fake bytes")
    files = [Part("brief ü.txt", "text/plain", b"stand brief"), Part('odd "name".bin', "", bytes(range(256)))]
    message = parsed(compose(envelope(recipients=recipients, template="welcome"),
                             Rendered(html="<img src='cid:brand-logo@mediamill'>", text="t",
                                      unsubscribe_url="https://x.example/u?" + "q" * 120), files, logo))
    assert [address.addr_spec for address in message["To"].addresses] == recipients
    assert message["List-Unsubscribe"] == "<https://x.example/u?" + "q" * 120 + ">"
    body, *attached = message.get_payload()
    _text, related = body.get_payload()
    html, image = related.get_payload()
    assert related.get_content_type() == "multipart/related" and html.get_content_type() == "text/html"
    assert image["Content-ID"] == f"<{LOGO_CID}>" and image.get_content() == logo.data
    assert [(part.get_filename(), part.get_content_type(), part.get_content()) for part in attached] == [
        ("brief ü.txt", "text/plain", "stand brief"), ('odd "name".bin', "application/octet-stream", bytes(range(256)))]
    assert message["X-Mediamill-Template"] == "welcome"


def test_a_non_ascii_address_asks_for_smtputf8():
    outgoing = compose(envelope(recipients=["jörg@exämple.com"]), Rendered(html=None, text="t", unsubscribe_url=None), [])
    assert outgoing.smtputf8 and "jörg@exämple.com".encode() in outgoing.raw

"""email.send through a real aiosmtpd server: MIME structure, headers, attachments, records, idempotency."""

from __future__ import annotations

import base64

import pytest
from messaging_helpers import Inbox, send

from mediamill.db import open_database
from mediamill.db.models.messaging import EmailStatus
from mediamill.db.repositories import emails as records
from mediamill.errors import BadInput, LimitExceeded, ProviderError
from mediamill.processors.messaging.catalog import TEMPLATES
from mediamill.storage import open_store


def row_for(settings, key: str):
    with open_database(settings).session() as session:
        return records.by_key(session, key)


async def test_a_template_email_arrives_with_both_parts_an_attachment_and_the_headers(smtp_settings):
    settings, inbox = smtp_settings
    report = open_store(settings).put(b"%PDF-1.4 quarterly numbers", name="report.pdf", mime="application/pdf")

    result, _ = await send(settings, {
        "to": ["Lina@Example.COM", "omar@example.org"], "subject": "New task: colour-grade the teaser",
        "template": "task-assignment", "data": TEMPLATES["task-assignment"].sample,
        "attachments": [{"filename": "notes.txt", "content": "bring the LUTs"},
                        {"artifact": report.id},
                        {"filename": "dot.png", "content": base64.b64encode(b"\x89PNG..").decode(),
                         "encoding": "base64", "contentType": "image/png"}],
    }, job_id="job_task1")

    assert len(inbox.received) == 1
    received = inbox.received[0]
    assert received.mail_from == "noreply@mediamill.test"
    assert received.rcpt_tos == ["Lina@example.com", "omar@example.org"]  # domain normalised, local part kept
    message = received.message
    assert message.get_content_type() == "multipart/mixed"
    body, *files = message.get_payload()
    assert body.get_content_type() == "multipart/alternative"
    text, html = body.get_payload()
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert "Colour-grade the teaser cut" in text.get_content() and "<" not in text.get_content()
    html_body = html.get_content()
    assert "Colour-grade the teaser cut" in html_body and "https://app.example.com/tasks/t_981" in html_body
    assert 'style="' in html_body and "<link" not in html_body  # CSS inlined, nothing fetched
    assert [(f.get_filename(), f.get_content_type(), f.get_content()) for f in files] == [
        ("notes.txt", "text/plain", "bring the LUTs"),
        ("report.pdf", "application/pdf", b"%PDF-1.4 quarterly numbers"),
        ("dot.png", "image/png", b"\x89PNG.."),
    ]
    assert message["Subject"] == "New task: colour-grade the teaser"
    assert message["From"] == "Mediamill Test <noreply@mediamill.test>"
    assert message["Message-ID"] == result["messageId"] and message["Message-ID"].endswith("@mediamill.test>")
    assert message["Date"].datetime is not None
    assert message["List-Unsubscribe"] == "<https://app.example.com/unsubscribe>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    row = row_for(settings, "job_task1")
    assert (row.status, row.template, row.attempts) == (EmailStatus.sent.value, "task-assignment", 1)
    assert row.recipients == ["Lina@example.com", "omar@example.org"]
    assert row.provider_message_id == result["providerMessageId"] and "queued as Q1" in row.provider_message_id
    assert result["duplicate"] is False


async def test_every_packaged_template_renders_both_parts(smtp_settings):
    settings, inbox = smtp_settings
    for name, info in TEMPLATES.items():
        await send(settings, {"to": "a@example.com", "subject": name, "template": name, "data": info.sample},
                   job_id=f"job_{name}")
    assert len(inbox.received) == len(TEMPLATES) == 8
    for received, info in zip(inbox.received, TEMPLATES.values(), strict=True):
        message = received.message
        text, html = message.get_payload()
        assert text.get_content().strip() and "<html" in html.get_content()
        assert ("List-Unsubscribe" in message) is info.unsubscribe, info.name


async def test_a_plain_email_gets_a_text_part_derived_from_its_html(smtp_settings):
    settings, inbox = smtp_settings
    await send(settings, {"to": "a@example.com", "subject": "Plain",
                          "data": {"html": "<p>Hello <a href='https://x.example/y'>there</a></p>"}})
    text, html = inbox.received[0].message.get_payload()
    assert text.get_content().strip() == "Hello there (https://x.example/y)"
    assert "List-Unsubscribe" not in inbox.received[0].message


async def test_a_retried_job_never_sends_twice(smtp_settings):
    settings, inbox = smtp_settings
    params = {"to": "a@example.com", "subject": "Once", "text": "only once"}
    first, _ = await send(settings, params, job_id="job_once")
    again, _ = await send(settings, params, job_id="job_once")  # the same job, retried after completing

    assert len(inbox.received) == 1
    assert again["duplicate"] is True and again["messageId"] == first["messageId"]
    # A producer's own key works across jobs too.
    keyed = {**params, "idempotencyKey": "order-991-receipt"}
    await send(settings, keyed, job_id="job_a")
    await send(settings, keyed, job_id="job_b")
    assert len(inbox.received) == 2


async def test_a_deferred_message_is_sent_by_the_retry_with_the_same_message_id(settings, smtp_server):
    inbox, port = smtp_server(Inbox(script=["451 4.3.0 mailbox busy, try later"]))
    settings = settings.model_copy(update={"email": settings.email.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"})})
    params = {"to": "a@example.com", "subject": "Later", "text": "x"}

    with pytest.raises(ProviderError, match="451"):
        await send(settings, params, job_id="job_later")
    assert row_for(settings, "job_later").status == EmailStatus.deferred.value

    result, _ = await send(settings, params, job_id="job_later")
    assert len(inbox.received) == 1
    assert inbox.received[0].message["Message-ID"] == result["messageId"]
    row = row_for(settings, "job_later")
    assert (row.status, row.attempts, row.error) == (EmailStatus.sent.value, 2, None)


async def test_a_refused_recipient_fails_at_once_and_the_retry_does_not_call_the_server(settings, smtp_server):
    inbox, port = smtp_server(Inbox(refuse={"ghost@example.com"}))
    settings = settings.model_copy(update={"email": settings.email.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"})})
    params = {"to": "ghost@example.com", "subject": "Hi", "text": "x"}
    with pytest.raises(BadInput, match="550") as caught:
        await send(settings, params, job_id="job_ghost")
    assert caught.value.field == "to"
    assert row_for(settings, "job_ghost").status == EmailStatus.failed.value
    with pytest.raises(BadInput, match="refused before"):
        await send(settings, params, job_id="job_ghost")
    assert row_for(settings, "job_ghost").attempts == 1 and inbox.received == []


def big(settings) -> str:
    return "x" * (settings.email.max_inline_attachment_bytes + 1)


BAD = [
    ({"subject": "Hi\r\nBcc: victim@example.com"}, BadInput, "params"),
    ({"subject": "Hi\nthere"}, BadInput, "params"),
    ({"to": "not-an-address"}, BadInput, "params"),
    ({"to": ["a@example.com", "b@@example.com"]}, BadInput, "params"),
    ({"template": "no-such-template", "data": {}}, BadInput, "template"),
    ({"template": "welcome", "data": {"loginUrl": "https://app.example.com/login"}}, BadInput, "data.userName"),
    ({"template": "../welcome.html", "data": {}}, BadInput, "template"),
    ({"attachments": [{"artifact": "art_doesnotexist"}]}, BadInput, "attachments[0].artifact"),
    ({"attachments": [{"filename": "a.txt", "content": "big"}]}, LimitExceeded, "attachments[0].content"),
    ({"attachments": [{"filename": "a\r\nX-Evil: 1", "content": "x"}]}, BadInput, "params"),
    ({"attachments": [{"filename": "a.bin", "content": "***", "encoding": "base64"}]}, BadInput,
     "attachments[0].content"),
    ({"text": None, "data": {}}, BadInput, "data.html"),
]


@pytest.mark.parametrize(("change", "error", "field"), BAD)
async def test_bad_input_names_the_field_and_sends_nothing(smtp_settings, change, error, field):
    settings, inbox = smtp_settings
    params = {"to": "a@example.com", "subject": "Hello", "text": "body", **change}
    if params.get("attachments") and params["attachments"][0].get("content") == "big":
        params["attachments"][0]["content"] = big(settings)
    with pytest.raises(error) as caught:
        await send(settings, params)
    assert caught.value.field == field
    if field == "params":  # the message names the offending param
        assert any(name in caught.value.message for name in ("subject", "to", "attachments"))
    assert inbox.received == []


async def test_an_artifact_over_the_size_limit_is_refused(smtp_settings):
    settings, inbox = smtp_settings
    settings = settings.model_copy(update={"email": settings.email.model_copy(update={"max_attachment_bytes": 1000})})
    artifact = open_store(settings).put(b"y" * 2000, name="big.bin")
    with pytest.raises(LimitExceeded) as caught:
        await send(settings, {"to": "a@example.com", "subject": "s", "text": "t",
                              "attachments": [{"artifact": artifact.id}]})
    assert caught.value.field == "attachments[0].artifact" and inbox.received == []

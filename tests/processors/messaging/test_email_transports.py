"""The three transports for real: SMTP with STARTTLS / TLS and AUTH, SES v2 on moto, the .eml outbox;
and email.send through a running worker."""

from __future__ import annotations

import email
import email.policy

import pytest
from messaging_helpers import Inbox, authenticator, send, server_tls_context

from mediamill.errors import ProviderError
from mediamill.testing import free_port


def with_email(settings, **changes):
    return settings.model_copy(update={"email": settings.email.model_copy(update=changes)})


async def test_starttls_with_auth(settings, smtp_server, tls_files):
    cert, key = tls_files
    inbox, port = smtp_server(Inbox(), tls_context=server_tls_context(cert, key), require_starttls=True,
                              authenticator=authenticator("mailer", "s3cret"), auth_required=True)
    config = dict(smtp_host="127.0.0.1", smtp_port=port, smtp_security="starttls", smtp_ca_file=cert,
                  smtp_username="mailer")

    await send(with_email(settings, **config, smtp_password="s3cret"),
               {"to": "a@example.com", "subject": "over TLS", "text": "x"}, job_id="job_tls")
    assert len(inbox.received) == 1

    with pytest.raises(ProviderError, match="535"):  # a wrong password is retried (an operator may fix it)
        await send(with_email(settings, **config, smtp_password="wrong"),
                   {"to": "a@example.com", "subject": "s", "text": "x"}, job_id="job_badpass")
    assert len(inbox.received) == 1


async def test_implicit_tls(settings, smtp_server, tls_files):
    cert, key = tls_files
    inbox, port = smtp_server(Inbox(), ssl_context=server_tls_context(cert, key))
    await send(with_email(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_security="tls", smtp_ca_file=cert),
               {"to": "a@example.com", "subject": "TLS", "text": "x"})
    assert len(inbox.received) == 1


async def test_an_unreachable_server_is_retried(settings):
    with pytest.raises(ProviderError, match="could not send"):
        await send(with_email(settings, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none",
                              smtp_timeout_s=2), {"to": "a@example.com", "subject": "s", "text": "x"})


async def test_the_outbox_writes_an_eml_a_mail_client_can_open(settings, tmp_path):
    outbox = tmp_path / "outbox"
    result, _ = await send(with_email(settings, transport="outbox", outbox_dir=outbox),
                           {"to": "a@example.com", "subject": "Dev mail", "template": "welcome",
                            "data": {"userName": "Amira", "loginUrl": "https://app.example.com/login"}})
    files = list(outbox.glob("*.eml"))
    assert [f.name for f in files] == [result["providerMessageId"]]
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Dev mail" and message["Message-ID"] == result["messageId"]
    assert "Welcome, Amira!" in message.get_body(("html",)).get_content()


@pytest.fixture
def aws(monkeypatch):
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_CONFIG_FILE": "/nonexistent/aws-config",
                       "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


async def test_ses_v2_sends_the_raw_message(settings, aws):
    import boto3
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    boto3.client("sesv2", region_name="eu-west-1").create_email_identity(EmailIdentity="mediamill.test")
    ses_settings = with_email(settings, transport="ses", ses_region="eu-west-1", from_address="noreply@mediamill.test")
    result, _ = await send(ses_settings, {"to": ["a@example.com", "b@example.org"], "subject": "Via SES",
                                          "template": "notification",
                                          "data": {"title": "Hello", "message": "From SES"},
                                          "attachments": [{"filename": "a.txt", "content": "attached"}]})

    sent = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sent_messages
    assert len(sent) == 1 and result["providerMessageId"] == sent[0].id
    message = email.message_from_bytes(sent[0].raw_data.encode(), policy=email.policy.default)
    assert message["Subject"] == "Via SES" and message["Message-ID"] == result["messageId"]
    assert [part.get_filename() for part in message.iter_attachments()] == ["a.txt"]


async def test_ses_refuses_an_unverified_sender_for_good(settings, aws):
    from mediamill.errors import BadInput

    ses_settings = with_email(settings, transport="ses", ses_region="eu-west-1", from_address="x@unverified.test")
    with pytest.raises(BadInput, match="MessageRejected"):
        await send(ses_settings, {"to": "a@example.com", "subject": "s", "text": "t"})


async def test_through_a_worker_with_seed_field_names(smtp_settings, worker):
    from mediamill.client import AsyncClient

    settings, inbox = smtp_settings
    async with worker(["email"], settings=settings), AsyncClient(settings) as client:
        handle = await client.submit("email.send", {
            "to": "lina@example.com", "subject": "Invitation", "template": "project-invitation",
            "data": {"inviterName": "Omar", "projectName": "Expo", "acceptUrl": "https://x.example/a"},
            "replyTo": "omar@example.com",
        })
        result = await handle.result(timeout=60)
    assert result["status"] == "sent" and len(inbox.received) == 1
    assert inbox.received[0].message["Reply-To"] == "omar@example.com"

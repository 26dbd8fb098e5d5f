"""SMTP connections are pooled: messages share one, a dropped one is replaced, a failed one is never reused."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from messaging_helpers import Inbox, send

from mediamill.errors import ProviderError
from mediamill.testing import free_port


@dataclass
class PeerInbox(Inbox):
    """An Inbox that also notes which client connection (address, port) delivered each message."""

    peers: list[tuple] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            self.peers.append(session.peer)
        return reply


def _settings_for(settings, port: int):
    email_config = settings.email.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
        "from_address": "noreply@mediamill.test", "domain_rate_limit": 1000})
    return settings.model_copy(update={"email": email_config})


@pytest.fixture
def pooled(settings, smtp_server):
    inbox, port = smtp_server(PeerInbox())
    return _settings_for(settings, port), inbox


async def test_messages_one_after_another_share_one_connection(pooled):
    settings, inbox = pooled
    for index in range(3):
        result, _ = await send(settings, {"to": f"u{index}@example.com", "subject": "s", "text": "t"},
                               job_id=f"job_pool_{index}")
        assert result["status"] == "sent"
    assert len(inbox.received) == 3
    assert len(set(inbox.peers)) == 1


async def test_a_connection_the_server_dropped_is_replaced_without_failing_a_message(settings):
    # Given a message sent, then the server restarted on the same port (the pooled connection is dead)
    inbox, port = PeerInbox(), free_port()
    settings = _settings_for(settings, port)
    first = Controller(inbox, hostname="127.0.0.1", port=port)
    first.start()
    try:
        await send(settings, {"to": "a@example.com", "subject": "s", "text": "t"}, job_id="job_drop_1")
    finally:
        first.stop()
    second = Controller(inbox, hostname="127.0.0.1", port=port)
    second.start()
    try:
        # When the next message goes out, Then it is sent over a new connection, not failed
        result, _ = await send(settings, {"to": "b@example.com", "subject": "s", "text": "t"}, job_id="job_drop_2")
    finally:
        second.stop()
    assert result["status"] == "sent"
    assert [r.rcpt_tos for r in inbox.received] == [["a@example.com"], ["b@example.com"]]
    assert inbox.peers[0] != inbox.peers[1]


async def test_a_connection_whose_message_failed_is_not_used_again(settings, smtp_server):
    inbox, port = smtp_server(PeerInbox(script=["250", "451 4.3.0 try later"]))
    settings = _settings_for(settings, port)
    await send(settings, {"to": "a@example.com", "subject": "s", "text": "t"}, job_id="job_fail_0")  # opens one
    with pytest.raises(ProviderError):
        await send(settings, {"to": "b@example.com", "subject": "s", "text": "t"}, job_id="job_fail_1")
    await send(settings, {"to": "c@example.com", "subject": "s", "text": "t"}, job_id="job_fail_2")
    assert len(inbox.received) == 2
    assert inbox.peers[0] != inbox.peers[1]

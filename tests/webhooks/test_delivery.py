"""notify_url end to end: a real local receiver, retries with backoff, signatures, delivery records."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading

import pytest
from node_example import node_available, verify_with_node
from standardwebhooks import Webhook

from mediamill.db import open_database
from mediamill.db.repositories import jobs as job_records
from mediamill.db.repositories import webhooks as delivery_records
from mediamill.db.testing import on_each_database
from mediamill.testing import enqueue_raw
from mediamill.webhooks import verify_signature
from mediamill.webhooks.secret import webhook_secret

# These tests run on SQLite and, where it is reachable (CI), on PostgreSQL.
settings = pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.external)],
                          name="settings")(on_each_database)


class Receiver:
    """An HTTP server on 127.0.0.1 that answers the scripted statuses in turn and keeps what it got."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses, self.received = list(statuses), []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/mediamill"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_settings(settings):
    def make(receiver: Receiver):
        limits = settings.limits.model_copy(update={"fetch_allow_hosts": [f"127.0.0.1:{receiver.port}"]})
        return settings.model_copy(update={"limits": limits})

    return make


async def wait_until(predicate, timeout: float = 30):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def deliveries(settings, job_id: str, count: int, timeout: float = 30):
    def load():
        with open_database(settings).session() as session:
            return delivery_records.for_job(session, job_id)

    rows = []
    deadline = asyncio.get_running_loop().time() + timeout
    while len(rows) < count:
        assert asyncio.get_running_loop().time() < deadline, rows
        await asyncio.sleep(0.05)
        rows = await asyncio.to_thread(load)
    return rows


async def test_completed_job_is_notified_with_a_valid_signature_after_a_retry(receiver_settings, worker, tmp_path):
    from mediamill.client import AsyncClient

    source = tmp_path / "a.txt"
    source.write_text("hello\n")
    with Receiver([500, 200]) as receiver:
        settings = receiver_settings(receiver)
        async with AsyncClient(settings) as client, worker(["assets", "webhooks"], settings=settings):
            handle = await client.submit("file.inspect", {}, [source], notify_url=receiver.url)
            await handle.result(30)
            rows = await deliveries(settings, handle.id, 2)
    # Given the receiver failed once, the second attempt (after backoff) delivered it.
    assert [(r.attempt, r.status_code, r.ok) for r in rows] == [(1, 500, False), (2, 200, True)]
    assert rows[0].error and "HTTP 500" in rows[0].error and rows[1].url == receiver.url
    headers, body = receiver.received[-1]
    secret = webhook_secret(settings)
    assert secret.startswith("whsec_")
    Webhook(secret).verify(body, headers)  # the Standard Webhooks reference library
    if node_available():
        assert verify_with_node(tmp_path, secret, body, headers)["ok"]
    # Both attempts carry the same webhook-id, so the receiver can tell the retry is a duplicate.
    assert receiver.received[0][0]["webhook-id"] == headers["webhook-id"]
    verify_signature(secret, body, headers["X-Mediamill-Timestamp"], headers["X-Mediamill-Signature"])  # deprecated
    payload = json.loads(body)
    assert payload["event"] == "job.completed"
    assert payload["job"]["id"] == handle.id and payload["job"]["state"] == "completed"
    assert payload["job"]["task"] == "file.inspect" and payload["job"]["result"]["size"] == 6
    assert receiver.received[0][1] == body  # every attempt carries the same body


async def test_a_job_that_fails_for_good_is_notified_and_recorded_on_first_sight(receiver_settings, worker):
    from mediamill.client import AsyncClient

    with Receiver([204]) as receiver:
        settings = receiver_settings(receiver)
        # Written straight into BullMQ (a Node producer: no submit checks, no record yet): the
        # worker refuses the URL input and fails the job at once.
        async with AsyncClient(settings) as client, worker(["assets", "webhooks"], settings=settings):
            job_id = await enqueue_raw(client.broker, "file.inspect", {"inputs": [{"url": "http://10.0.0.1/x.jpg"}],
                                                                       "notify_url": receiver.url})
            handle = client.job(job_id)
            status = await handle.wait(30)
            await deliveries(settings, handle.id, 1)
    assert status.state == "failed"
    payload = json.loads(receiver.received[0][1])
    assert payload["event"] == "job.failed" and payload["job"]["state"] == "failed"
    assert payload["job"]["error"]["type"] == "BadInput" and "10.0.0.1" in payload["job"]["error"]["message"]
    with open_database(settings).session() as session:
        record = job_records.get(session, handle.id)
        assert record.state == "failed" and record.notify_url == receiver.url
        assert record.inputs == [{"url": "http://10.0.0.1/x.jpg"}]


async def test_delivery_to_a_private_address_fails_at_once_and_is_recorded(settings, worker, tmp_path):
    from mediamill.client import AsyncClient

    source = tmp_path / "a.txt"
    source.write_text("x")
    async with AsyncClient(settings) as client, worker(["assets", "webhooks"]):
        # A raw producer's notify_url (the submit path refuses it up front, see below).
        artifact = await client.upload(source)
        job_id = await enqueue_raw(client.broker, "file.inspect", {"inputs": [{"artifact": artifact.id}],
                                                                   "notify_url": "http://127.0.0.1:9/hook"})
        handle = client.job(job_id)
        await handle.result(30)
        rows = await deliveries(settings, handle.id, 1)
        await asyncio.sleep(0.5)
        rows = await deliveries(settings, handle.id, 1)
    assert len(rows) == 1 and not rows[0].ok and rows[0].status_code is None
    assert "127.0.0.1" in rows[0].error and "fetch_allow_hosts" in rows[0].error


async def test_api_submit_refuses_a_private_notify_url(settings):
    from mediamill.client import AsyncClient
    from mediamill.errors import BadInput
    from mediamill.services.context import Services
    from mediamill.services.jobs import submit_job

    services = await Services.open(settings)
    try:
        for url in ("http://169.254.169.254/", "ftp://example.com/"):
            with pytest.raises(BadInput, match="notify_url"):
                await submit_job(services, {"task": "file.inspect", "inputs": [], "notify_url": url})
    finally:
        await services.close()
    async with AsyncClient(settings) as client:  # the client goes through the same service
        with pytest.raises(BadInput, match="notify_url"):
            await client.submit("file.inspect", {}, [], notify_url="http://127.0.0.1:9/hook")

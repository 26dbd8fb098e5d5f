"""The `email.send` task: render, compose, claim the idempotency key, respect the domain limit, send, record.

Order matters for "a retried job never sends twice": the record is claimed (`sending`) before the
transport is called and marked `sent` before the task returns; a retry that finds `sent` returns
the recorded result without sending. The one window left is a crash (or a lost connection) after
the server accepted the message and before the `sent` commit: the retry then sends again, with the
same Message-ID. docs/guides/messaging.md explains why that side was chosen.
"""

from __future__ import annotations

import asyncio

from mediamill.db import open_database
from mediamill.db.models.messaging import EmailMessage, EmailStatus
from mediamill.db.repositories import emails as records
from mediamill.errors import BadInput, NotFound
from mediamill.processors.messaging.attachments import Part, load_attachments
from mediamill.processors.messaging.compose import LOGO_CID, Envelope, compose
from mediamill.processors.messaging.params import SendEmailParams
from mediamill.processors.messaging.ratelimit import limiter_for
from mediamill.processors.messaging.templating import Brand, Rendered, render, render_plain
from mediamill.providers.email import Transport, open_transport
from mediamill.settings import Settings, get_settings
from mediamill.tasks import TaskContext, task

# Transports are made once per process per configuration (an SES client is costly to build).
_transports: dict[str, Transport] = {}


@task("email.send", queue="email", inputs=(0, 0), attempts=4, timeout_s=120)
async def send_email(ctx: TaskContext, params: SendEmailParams) -> dict:
    """Send one email (template or plain HTML/text, attachments) once, whatever the retries."""
    return await deliver(ctx, params, idempotency_key=params.idempotency_key or ctx.job.job_id)


async def deliver(ctx: TaskContext, params: SendEmailParams, *, idempotency_key: str) -> dict:
    """The body of email.send, also used by notify.create for the notification types that email."""
    settings: Settings = ctx.settings or get_settings()
    config = settings.email
    envelope = Envelope(sender=config.from_address, sender_name=config.from_name, recipients=params.to,
                        subject=params.subject, reply_to=params.reply_to or config.reply_to,
                        idempotency_key=idempotency_key, template=params.template)
    database = open_database(settings)
    if len(params.to) > config.max_recipients:
        raise BadInput(f"{len(params.to)} recipients; at most {config.max_recipients} per message", field="to")
    # No progress reports on the way: each is a BullMQ write and an event, more than the rest of a
    # send to a local relay costs (measured); only a wait for the domain limit is worth showing.
    logo = _logo(ctx, settings)
    body = _body(params, settings, logo)
    attachments = load_attachments(params.attachments, ctx.store, config)
    message = compose(envelope, body, attachments, logo)
    raw_size = len(message.raw)

    transport = _transport(settings)
    claim = await asyncio.to_thread(_claim, database, envelope, transport.name, ctx.job.job_id, raw_size,
                                    message.message_id)
    row = claim.message
    if claim.previous is EmailStatus.sent:
        ctx.log("already sent: not sending again", key=envelope.idempotency_key)
        return _result(row, duplicate=True)
    if claim.previous is EmailStatus.failed:
        raise BadInput(f"this message was refused before: {row.error}", field="to")
    if claim.previous is EmailStatus.sending:
        ctx.log("an earlier attempt died while sending: sending again with the same Message-ID")

    domains = [address.rpartition("@")[2] for address in params.to]
    limiter = limiter_for(config.domain_rate_limit, config.domain_rate_window_s)
    if limiter.wait_time(domains) > 0:
        ctx.progress(40, "rate-limit")
    await limiter.acquire(domains, ctx.check)
    try:
        accepted = await transport.send(message, params.to)
    except BadInput as exc:
        await asyncio.to_thread(in_session, database, records.finish, row.id, EmailStatus.failed, error=str(exc))
        raise
    except Exception as exc:
        await asyncio.to_thread(in_session, database, records.finish, row.id, EmailStatus.deferred,
                                error=f"{type(exc).__name__}: {exc}")
        raise
    refused = "; ".join(f"{a}: {why}" for a, why in accepted.refused.items()) or None
    await asyncio.to_thread(in_session, database, records.finish, row.id, EmailStatus.sent,
                            provider_message_id=accepted.provider_id, error=refused)
    row.status, row.provider_message_id = EmailStatus.sent.value, accepted.provider_id
    return {**_result(row, duplicate=False), "refused": sorted(accepted.refused), "size": raw_size}


def _body(params: SendEmailParams, settings: Settings, logo: Part | None) -> Rendered:
    if params.template is None:
        return render_plain(params.plain_html, params.plain_text)
    brand = Brand.from_settings(settings.email, logo_src=f"cid:{LOGO_CID}" if logo else None)
    return render(settings.email, params.template, params.data, subject=params.subject, brand=brand)


def _logo(ctx: TaskContext, settings: Settings) -> Part | None:
    artifact_id = settings.email.brand_logo_artifact
    if not artifact_id:
        return None
    try:
        artifact = ctx.store.stat(artifact_id)
    except NotFound:
        # A missing logo must not stop mail: the name is shown in type instead.
        ctx.log("brand logo artifact not found; using the brand name", artifact=artifact_id)
        return None
    with ctx.store.open(artifact.id) as handle:
        return Part(artifact.name or "logo", artifact.mime, handle.read())


def _transport(settings: Settings) -> Transport:
    key = settings.email.model_dump_json() + str(settings.data_dir)
    if key not in _transports:
        _transports[key] = open_transport(settings)
    return _transports[key]


def _claim(database, envelope: Envelope, transport: str, job_id: str, size: int, message_id: str) -> records.Claim:
    draft = EmailMessage(idempotency_key=envelope.idempotency_key, job=job_id, recipients=envelope.recipients,
                         sender=envelope.sender, subject=envelope.subject, template=envelope.template,
                         transport=transport, message_id=message_id,
                         size=size)
    with database.session() as session:
        return records.claim(session, draft)


def in_session(database, fn, *args, **kwargs) -> None:
    """`fn(session, *args)` in one transaction (called through asyncio.to_thread: SQLAlchemy is blocking)."""
    with database.session() as session:
        fn(session, *args, **kwargs)


def _result(row: EmailMessage, *, duplicate: bool) -> dict:
    return {"status": row.status, "messageId": row.message_id, "providerMessageId": row.provider_message_id,
            "recipients": list(row.recipients), "template": row.template, "attempts": row.attempts,
            "duplicate": duplicate}

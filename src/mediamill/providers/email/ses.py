"""Amazon SES v2 through boto3: the raw MIME message, so attachments and headers are ours, not SES's."""

from __future__ import annotations

import asyncio

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from mediamill.errors import BadInput, ProviderError
from mediamill.providers.email.base import Accepted, Outgoing
from mediamill.settings import EmailSettings

# SES error codes no retry can fix; throttling and service errors are retried by the queue.
FINAL_CODES = {"MessageRejected", "MailFromDomainNotVerifiedException", "BadRequestException",
               "AccountSuspendedException", "SendingPausedException", "NotFoundException"}


class SesTransport:
    name = "ses"

    def __init__(self, config: EmailSettings) -> None:
        # boto3 clients are thread-safe; made once, used from worker threads.
        self.client = boto3.client("sesv2", region_name=config.ses_region, endpoint_url=config.ses_endpoint_url)
        self.sender = config.from_address

    async def send(self, message: Outgoing, recipients: list[str]) -> Accepted:
        return await asyncio.to_thread(self._send, message.raw, recipients)

    def _send(self, raw: bytes, recipients: list[str]) -> Accepted:
        try:
            answer = self.client.send_email(FromEmailAddress=self.sender,
                                            Destination={"ToAddresses": recipients},
                                            Content={"Raw": {"Data": raw}})
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            text = exc.response.get("Error", {}).get("Message", str(exc))
            if code in FINAL_CODES:
                raise BadInput(f"SES refused the message: {code}: {text}", field="message") from None
            raise ProviderError(f"SES failed: {code}: {text}") from None
        except BotoCoreError as exc:
            raise ProviderError(f"could not reach SES: {type(exc).__name__}: {exc}") from None
        return Accepted(provider_id=answer["MessageId"], refused={})

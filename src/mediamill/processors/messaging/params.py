"""The params of `email.send`, in the seed's field names (camelCase accepted beside snake_case)."""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, Field, field_validator, model_validator

from mediamill.tasks.naming import SEED_NAMES


class NodeBuffer(BaseModel):
    """A Node `Buffer` as JSON.stringify writes it into BullMQ job data: {"type": "Buffer", "data": [..]}."""

    type: Literal["Buffer"]
    data: list[int]


class Attachment(BaseModel):
    model_config = SEED_NAMES
    filename: str | None = Field(None, max_length=255, description="name shown to the recipient")
    content: str | NodeBuffer | None = Field(None, description="small inline content (text, or base64 with encoding)")
    encoding: Literal["utf-8", "base64"] = "utf-8"
    content_type: str | None = Field(None, max_length=127, description="MIME type; guessed from the name when unset")
    artifact: str | None = Field(None, description="an artifact id: large files travel by reference")

    @field_validator("filename", "content_type")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and ("\r" in value or "\n" in value):
            raise ValueError("must not contain line breaks (header injection)")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Attachment:
        if (self.content is None) == (self.artifact is None):
            raise ValueError("an attachment has either content or artifact, not both or neither")
        if self.content is not None and not self.filename:
            raise ValueError("inline content needs a filename")
        return self

    def inline_bytes(self) -> bytes:
        if isinstance(self.content, NodeBuffer):
            return bytes(self.content.data)
        if self.encoding == "base64":
            try:
                return base64.b64decode(self.content or "", validate=True)
            except binascii.Error as exc:
                raise ValueError(f"content is not valid base64: {exc}") from None
        return (self.content or "").encode()


class SendEmailParams(BaseModel):
    model_config = SEED_NAMES
    to: list[str] = Field(min_length=1, description="one address or a list")
    subject: str = Field(min_length=1, max_length=998)
    template: str | None = Field(None, max_length=100, description="a packaged or user template; unset = plain email")
    data: dict = Field(default_factory=dict, description="template data, or {html, text} for a plain email")
    html: str | None = Field(None, description="plain email HTML (also accepted inside data)")
    text: str | None = Field(None, description="plain email text (also accepted inside data)")
    attachments: list[Attachment] = Field(default_factory=list)
    reply_to: str | None = None
    idempotency_key: str | None = Field(None, min_length=1, max_length=200,
                                        description="send once per key; default: the job id")

    @field_validator("template", mode="before")
    @classmethod
    def _blank_is_plain(cls, value: object) -> object:
        # The seed's EmailJob types `template` as a string: a plain email sends "".
        return None if value == "" else value

    @field_validator("to", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        normalised = []
        for index, address in enumerate(value):
            normalised.append(valid_address(address, f"to[{index}]"))
        return list(dict.fromkeys(normalised))  # the same person once

    @field_validator("reply_to")
    @classmethod
    def _reply_to(cls, value: str | None) -> str | None:
        return None if value is None else valid_address(value, "replyTo")

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        if "\r" in value or "\n" in value:
            raise ValueError("must not contain CR or LF (header injection)")
        return value

    @property
    def plain_html(self) -> str | None:
        return self.html if self.html is not None else _str_or_none(self.data.get("html"))

    @property
    def plain_text(self) -> str | None:
        return self.text if self.text is not None else _str_or_none(self.data.get("text"))


def valid_address(address: str, where: str) -> str:
    """The normalised address (domain lower-cased, IDNA); ValueError naming `where` when malformed.

    Syntax only: a DNS lookup per message would make the worker depend on the resolver, and the
    server's reply is the real test of deliverability.
    """
    if not isinstance(address, str):
        raise ValueError(f"{where} must be a string")
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"{where} {address!r} is not a valid address: {exc}") from None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None

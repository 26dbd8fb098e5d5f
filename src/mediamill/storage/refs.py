"""An input reference: how a job names a file it works on (a stored artifact or a URL to fetch).

The one shape of that concept for every producer (HTTP body, CLI, Python client, pipeline step,
raw BullMQ job data) and the one function that reads it from what people write.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mediamill.errors import BadInput, describe_validation_error
from mediamill.storage.artifact import Artifact, artifact_id_for_key, is_artifact_id


class InputRef(BaseModel):
    """One input: a stored artifact or a URL the safe fetcher downloads (public addresses only)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    artifact: str | None = Field(None, max_length=64, description="id of a stored artifact (art_...)")
    url: str | None = Field(None, max_length=2048, description="http(s) URL to fetch")
    name: str | None = Field(None, max_length=255, description="file name to give a fetched input")
    key: str | None = Field(None, max_length=1024, description="a storage key the file was put under "
                            "(a seed's fileKey); read as that file's artifact")

    @model_validator(mode="before")
    @classmethod
    def _key_is_an_artifact(cls, value: Any) -> Any:
        # A file put under a key (store.put(key=...)) has a deterministic artifact id.
        if isinstance(value, dict) and value.get("key") and not value.get("artifact"):
            return {**value, "artifact": artifact_id_for_key(str(value["key"]))}
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> InputRef:
        if bool(self.artifact) == bool(self.url):
            raise ValueError("an input needs exactly one of 'artifact' or 'url'")
        if self.artifact and not is_artifact_id(self.artifact):
            raise ValueError(f"{self.artifact!r} is not an artifact id (art_...)")
        return self


def parse_input(value: Any, field: str = "inputs") -> InputRef:
    """The one reader of an input reference; BadInput naming `field` for anything else.

    Accepts an InputRef, an Artifact, a mapping `{"artifact": ...}` / `{"url": ..., "name": ...}`,
    an artifact id (`art_...`) or a URL (`scheme://...`; the SSRF guard decides which are allowed).
    """
    if isinstance(value, InputRef):
        return value
    if isinstance(value, Artifact):
        return InputRef(artifact=value.id)
    if isinstance(value, str):
        if not is_artifact_id(value) and "://" not in value:
            raise BadInput(f"{field}: {value[:80]!r} is not an artifact id (art_...) or a URL", field=field)
        value = {"artifact": value} if is_artifact_id(value) else {"url": value}
    if not isinstance(value, dict):
        raise BadInput(f"{field}: an input is an artifact id, a URL or an object, not {type(value).__name__}",
                       field=field)
    try:
        return InputRef.model_validate(value)
    except ValidationError as exc:
        raise BadInput(describe_validation_error(exc, prefix=field), field=field) from None

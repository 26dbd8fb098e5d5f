"""storage.cleanup: delete expired artifacts (bytes, metadata, records) and stale temporary files."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mediamill.processors.maintenance.expired import Tally, purge_records, purge_store
from mediamill.processors.maintenance.temp_files import remove_stale
from mediamill.tasks import TaskContext, task


class CleanupType(StrEnum):
    expired_artifacts = "expired_artifacts"  # outputs past their TTL (MEDIAMILL_STORAGE_TTL_HOURS)
    temp_files = "temp_files"  # staging/download leftovers and orphaned scratch dirs (the seed's TEMP_FILES)


class CleanupParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    types: list[CleanupType] = Field(list(CleanupType),  # a plain default (copied per instance): in the schema
                                     description="what to clean; default: everything")
    temp_max_age_hours: float = Field(24.0, gt=0, description="temporary files untouched this long are removed")
    scan_store: bool = Field(True, description="also scan the store for expired artifacts the records do not "
                                               "know (reads every artifact's metadata)")
    max_artifacts: int = Field(100_000, ge=1, description="most artifacts deleted in one run")

    @field_validator("types", mode="before")
    @classmethod
    def _seed_spelling(cls, value: object) -> object:
        # The asset seed names cleanup types in capitals (TEMP_FILES); accept both spellings.
        if isinstance(value, list):
            return [item.lower() if isinstance(item, str) else item for item in value]
        return value


@task("storage.cleanup", queue="cleanup", isolation="thread", inputs=(0, 0))
def cleanup(ctx: TaskContext, params: CleanupParams) -> dict:
    """Delete expired artifacts (store and records) and stale temporary files; returns what went."""
    result: dict = {}
    if CleanupType.expired_artifacts in params.types:
        tally = Tally()
        ctx.progress(0, "records")
        purge_records(ctx, tally, params.max_artifacts)
        if params.scan_store:
            ctx.progress(30, "store")
            purge_store(ctx, tally, params.max_artifacts)
        result["expired_artifacts"] = tally.as_dict()
    if CleanupType.temp_files in params.types:
        ctx.progress(80, "temp_files")
        result["temp_files"] = remove_stale(ctx, params.temp_max_age_hours * 3600).as_dict()
    ctx.progress(100, "done")
    return result

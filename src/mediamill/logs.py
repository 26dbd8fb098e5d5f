"""Logging: structlog, JSON when not a terminal (production), pretty in a terminal."""

from __future__ import annotations

import logging
import sys

import structlog

from mediamill.settings import Settings

_configured = False


def configure_logging(settings: Settings, *, stream=None) -> None:
    global _configured
    stream = stream or sys.stderr
    json_output = settings.log_format == "json" or (settings.log_format == "auto" and not stream.isatty())
    renderer = structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer(colors=False)
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    if not _configured:
        logging.basicConfig(stream=stream, level=max(level, logging.WARNING), format="%(levelname)s %(name)s: %(message)s")
        _configured = True


def get_logger(name: str = "mediamill"):
    return structlog.get_logger(name)

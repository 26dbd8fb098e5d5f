"""Logging: structlog, JSON when not a terminal (production), pretty in a terminal."""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from json.encoder import c_make_encoder, encode_basestring_ascii

from mediamill.settings import Settings

# structlog's package imports the pretty-printers it finds installed (rich with pygments,
# better_exceptions, colorama) and its Twisted and greenlet support: 0.17 of its 0.26 CPU-s of import,
# paid by every worker, task process and command. mediamill renders none of them: tracebacks become
# text in format_exc_info before the renderer, and the console renderer has no colours. So structlog
# is imported with those absent; they are importable again right after (rich draws the CLI's tables).
STRUCTLOG_EXTRAS = ("rich", "better_exceptions", "colorama", "twisted", "greenlet")


def _import_structlog():
    hidden = [name for name in STRUCTLOG_EXTRAS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # `import name` raises ImportError: structlog goes without it
    try:
        import structlog
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
    return structlog


structlog = _import_structlog()

_configured = False


class _CurrentStderr:
    """Writes to whatever sys.stderr is at the time of the write.

    CLIs run in-process (typer's test runner, the dashboard's stack) swap sys.stderr and close the
    swapped-in file afterwards; a logger bound to that object would fail every later line.
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def configure_logging(settings: Settings, *, stream=None) -> None:
    global _configured
    stream = stream or _CurrentStderr()
    json_output = settings.log_format == "json" or (settings.log_format == "auto" and not stream.isatty())
    renderer = structlog.processors.JSONRenderer(serializer=_Dumps()) if json_output else structlog.dev.ConsoleRenderer(colors=False)
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            _utc_timestamp,
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


_stamp_second: tuple[int, str] = (0, "")


def _utc_timestamp(logger, method: str, event_dict: dict) -> dict:
    """TimeStamper(fmt="iso", utc=True), same text, with the date part formatted once per second."""
    global _stamp_second
    now = time.time()
    second = int(now)
    cached = _stamp_second
    if cached[0] != second:
        cached = _stamp_second = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    micro = int((now - second) * 1_000_000)
    event_dict["timestamp"] = f"{cached[1]}.{micro:06d}Z" if micro else f"{cached[1]}Z"
    return event_dict


class _Dumps:
    """json.dumps for log lines with the encoder built once, not per line (JSON was half of a line's cost).

    Output is exactly json.dumps(event_dict, default=...); the C encoder skips the circular-reference
    check (a log field is never self-referencing; one would end in RecursionError instead of ValueError).
    """

    def __init__(self) -> None:
        self._encode = None

    def __call__(self, obj, default=None, **options) -> str:
        encode = self._encode
        if encode is None:
            if c_make_encoder is None or options:
                return json.dumps(obj, default=default, **options)
            make = c_make_encoder(None, default, encode_basestring_ascii, None, ": ", ", ", False, False, True)
            encode = self._encode = lambda value: "".join(make(value, 0))
        return encode(obj)


def get_logger(name: str = "mediamill"):
    return structlog.get_logger(name)

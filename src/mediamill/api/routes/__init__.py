"""One router per resource: jobs, artifacts, tasks, queues, health."""

from mediamill.api.models import Problem

_DESCRIPTIONS = {400: "Bad request", 401: "Missing, unknown or revoked API key", 403: "Missing scope or bad link",
                 404: "Not found", 409: "Conflicting state", 413: "Too large", 415: "Unsupported media type",
                 410: "Gone (expired, revoked or used up)",
                 416: "Range not satisfiable", 429: "Too many attempts", 422: "Invalid input (the message names the field)"}


def problems(*codes: int) -> dict:
    """OpenAPI entries for the error answers a route can give (all shaped like Problem)."""
    return {code: {"model": Problem, "description": _DESCRIPTIONS[code]} for code in codes}

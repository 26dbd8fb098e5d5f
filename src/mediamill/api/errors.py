"""The one place errors become HTTP answers: mediamill errors, validation errors, HTTP errors, bugs."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from mediamill.errors import MediamillError, describe_validation_error, first_invalid_field
from mediamill.logs import get_logger

log = get_logger("mediamill.api")
_HTTP_NAMES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
               405: "MethodNotAllowed", 406: "NotAcceptable", 413: "LimitExceeded", 415: "UnsupportedMediaType"}


# ("body", "params", "size") -> "params.size": the "body"/"query" prefix says little to a user.
_REQUEST_PARTS = frozenset({"body", "query", "path", "header"})


async def mediamill_error(request: Request, exc: MediamillError) -> JSONResponse:
    status = exc.status_code if 400 <= exc.status_code < 600 else 500
    headers = dict(getattr(exc, "headers", None) or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(exc.public(), status_code=status, headers=headers or None)


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    body = {"error": "ValidationError",
            "message": describe_validation_error(errors, hide=_REQUEST_PARTS) if errors else "invalid request",
            "field": first_invalid_field(errors, hide=_REQUEST_PARTS)}
    return JSONResponse(body, status_code=422)


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    name = _HTTP_NAMES.get(exc.status_code, "HTTPError")
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path} (see /docs)"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path} (see /docs)"
    return JSONResponse({"error": name, "message": message}, status_code=exc.status_code, headers=exc.headers)


async def client_disconnect(request: Request, exc: ClientDisconnect) -> JSONResponse:
    # The client left, or the server cut a slow body: no bug, and nobody is left to read the answer.
    log.info("client disconnected before its request body ended", path=request.url.path)
    return JSONResponse({"error": "ClientDisconnect", "message": "the request body did not arrive"},
                        status_code=400)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", path=request.url.path, error=str(exc))
    return JSONResponse({"error": "InternalError", "message": "an unexpected error happened; it was logged"},
                        status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(MediamillError, mediamill_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(ClientDisconnect, client_disconnect)
    app.add_exception_handler(Exception, unexpected_error)

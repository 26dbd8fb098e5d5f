"""Who may call the API: Bearer API keys with scopes; without any key, only loopback callers."""

from __future__ import annotations

import ipaddress

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from mediamill.errors import Forbidden, Unauthorized
from mediamill.services.keys import LOCAL_USER, KeyInfo, any_key, authenticate


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def authorize(request: Request, scope: str) -> KeyInfo:
    """The caller's key when it has `scope`; 401 without a valid key, 403 without the scope."""
    services = request.app.state.services
    header = request.headers.get("authorization")
    if header is None:
        if await any_key(services.database):
            raise Unauthorized("missing API key: send 'Authorization: Bearer <key>' "
                               "(create one with `mediamill keys create --name app --scopes submit,read`)")
        if not request.app.state.loopback_only:
            raise Unauthorized("this server is reachable beyond loopback and has no API keys: "
                               "create one with `mediamill keys create`")
        return LOCAL_USER
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <API key>'")
    key = await run_in_threadpool(authenticate, services.database, token.strip())
    if not key.allows(scope):
        raise Forbidden(f"API key {key.name!r} lacks the '{scope}' scope (it has: {', '.join(key.scopes)})",
                        field="scope")
    return key

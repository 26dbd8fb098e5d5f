"""Who is looking at the dashboard: the API's keys and rules, carried by a session cookie.

Same rules as the API (mediamill.api.auth): log in with an API key; `read` sees everything, actions
need `admin`; with no key configured and a loopback-only server, everyone local is admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mediamill.dashboard import session as sessions
from mediamill.errors import Forbidden, MediamillError, Unauthorized
from mediamill.services.keys import LOCAL_USER, KeyInfo, active_key, any_key
from mediamill.signing import server_secret


class CsrfFailed(Forbidden):
    """An action without the page's CSRF token: a forged cross-site request, or a page older than its session."""


@dataclass
class Visitor:
    session: sessions.Session
    user: KeyInfo | None
    csrf: str
    secret: bytes
    # The cookie to send with the answer (a new visitor, or a login/logout), else None.
    cookie: str | None = None

    @property
    def can_act(self) -> bool:
        return self.user is not None and self.user.allows("admin")

    def require_read(self) -> None:
        if self.user is None:
            raise Unauthorized("log in with an API key first")

    def require_admin(self) -> None:
        if self.user is None:
            raise Unauthorized("log in with an API key first")
        if not self.user.allows("admin"):
            raise Forbidden(f"API key {self.user.name!r} may look but not act: actions need the 'admin' "
                            f"scope (it has: {', '.join(self.user.scopes)})", field="scope")

    def check_csrf(self, token: str | None) -> None:
        if not sessions.csrf_matches(self.secret, self.session, token):
            raise CsrfFailed("this action lacks a valid CSRF token: reload the page and try again", field="csrf")

    def start(self, key_id: str) -> None:
        """A fresh session (new sid) for this key: called at login, logout and first sight."""
        self.session = sessions.new_session(key_id)
        self.csrf = self.session.csrf(self.secret)
        self.cookie = self.session.encode(self.secret)


async def open_mode(request: Request) -> bool:
    """No API key exists and the server listens on loopback only: the API needs no key, nor do we."""
    return request.app.state.loopback_only and not await any_key(request.app.state.services.database)


async def visitor(request: Request) -> Visitor:
    """Dependency: the visitor behind this request's cookie (user None when not logged in)."""
    secret = _secret(request)
    current = sessions.decode(secret, request.cookies.get(sessions.COOKIE))
    found = Visitor(session=current or sessions.new_session(), user=None, csrf="", secret=secret)
    found.csrf = found.session.csrf(secret)
    if current is None:
        found.cookie = found.session.encode(secret)
    key_id = found.session.key_id
    if key_id not in (sessions.ANONYMOUS, sessions.LOCAL):
        try:
            found.user = await run_in_threadpool(active_key, request.app.state.services.database, key_id)
        except MediamillError:
            found.start(sessions.ANONYMOUS)
    elif await open_mode(request):
        found.user = LOCAL_USER
    return found


def _secret(request: Request) -> bytes:
    # Kept on the app: finding the secret's file resolves (and creates) the data dir, on every page.
    state = request.app.state
    secret = getattr(state, "session_secret", None)
    if secret is None:
        secret = state.session_secret = server_secret(state.settings)
    return secret


def apply_cookie(response: Response, found: Visitor, request: Request) -> Response:
    if found.cookie is not None:
        response.set_cookie(sessions.COOKIE, found.cookie, max_age=sessions.SESSION_TTL_S, path="/dashboard",
                            httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response

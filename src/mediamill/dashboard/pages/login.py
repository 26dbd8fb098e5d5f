"""Log in with an API key (the session cookie then carries it), log out."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from mediamill.dashboard import session as sessions
from mediamill.dashboard.auth import open_mode
from mediamill.dashboard.pages.common import Seen, services_of, text_field
from mediamill.dashboard.render import DashboardRoute, page, redirect
from mediamill.errors import Unauthorized
from mediamill.services.keys import authenticate

router = APIRouter(route_class=DashboardRoute)


def _safe_next(target: str | None) -> str:
    # Only our own pages: an open redirect would turn the login page into a phishing tool.
    if target and target.startswith("/dashboard") and "//" not in target and "\\" not in target:
        return target
    return "/dashboard"


@router.get("/login")
async def login_page(request: Request, found: Seen):
    return page(request, found, "login.html", next=_safe_next(request.query_params.get("next")),
                open=await open_mode(request))


@router.post("/login")
async def login(request: Request, found: Seen):
    form = await request.form()
    found.check_csrf(text_field(form.get("csrf")))
    token = (text_field(form.get("key")) or "").strip()
    target = _safe_next(text_field(form.get("next")))
    try:
        key = await run_in_threadpool(authenticate, services_of(request).database, token)
    except Unauthorized as exc:
        return page(request, found, "login.html", status_code=401, next=target, error=exc.message,
                    open=await open_mode(request))
    found.start(key.id)
    return redirect(request, found, target)


@router.post("/logout")
async def logout(request: Request, found: Seen):
    form = await request.form()
    found.check_csrf(text_field(form.get("csrf")))
    found.start(sessions.ANONYMOUS)
    return redirect(request, found, "/dashboard/login")

"""The web dashboard at /dashboard: server-rendered pages (Jinja2 + htmx) over the services layer."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from mediamill.dashboard.pages import router

STATIC = Path(__file__).parent / "static"


def mount(app: FastAPI) -> FastAPI:
    """Add the dashboard's static files (htmx, CSS, one small script) and its pages to the API app."""
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")
    app.include_router(router)
    return app

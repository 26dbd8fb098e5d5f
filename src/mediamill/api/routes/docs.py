"""/docs (Swagger UI) and /redoc from assets vendored in the package, so they work offline.

FastAPI's own pages load their scripts and CSS from a CDN: on an air-gapped install they are blank.
The vendored builds (swagger-ui-dist and redoc from npm, licences beside them) are refreshed with
`scripts/vendor_api_docs.sh`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

VENDOR_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor"
ASSETS_PATH = "/static/api-docs"
DOCS_PATH, REDOC_PATH, OAUTH2_REDIRECT_PATH = "/docs", "/redoc", "/docs/oauth2-redirect"


def install(app: FastAPI) -> None:
    """Serve the vendored assets and the two pages (the app must be built with docs_url=redoc_url=None)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=VENDOR_DIR), name="api-docs-assets")
    app.include_router(_pages(app))


def _pages(app: FastAPI) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    title = f"{app.title} API"

    @router.get(DOCS_PATH)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url, title=title, oauth2_redirect_url=OAUTH2_REDIRECT_PATH,
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/swagger-ui/favicon-32x32.png",
        )

    @router.get(OAUTH2_REDIRECT_PATH)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @router.get(REDOC_PATH)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=app.openapi_url, title=title, with_google_fonts=False,
                              redoc_js_url=f"{ASSETS_PATH}/redoc/redoc.standalone.js",
                              redoc_favicon_url=f"{ASSETS_PATH}/swagger-ui/favicon-32x32.png")

    return router

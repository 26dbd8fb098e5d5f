"""/docs and /redoc render in headless Chromium with every request off localhost aborted."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from mediamill.processors.html.browser import chromium_executable

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _open_offline(base_url: str, path: str, check) -> list[str]:
    """Load `path` with the network cut off; returns the URLs that were refused."""
    refused: list[str] = []

    def route(route_) -> None:
        if urlsplit(route_.request.url).hostname in LOCAL_HOSTS:
            route_.continue_()
        else:
            refused.append(route_.request.url)
            route_.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable(), headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page()
            page.route("**/*", route)
            page.goto(base_url + path)
            check(page)
        finally:
            browser.close()
    return refused


@pytest.mark.slow
def test_swagger_ui_lists_the_operations_offline(live_api):
    base_url, _ = live_api

    def check(page) -> None:
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/v1/jobs" in path for path in paths), paths
        assert any("/v1/pipelines" in path for path in paths), paths

    assert _open_offline(base_url, "/docs", check) == []


@pytest.mark.slow
def test_redoc_lists_the_operations_offline(live_api):
    base_url, _ = live_api

    def check(page) -> None:
        page.wait_for_selector("[data-section-id^='tag/']", timeout=20_000)
        assert "/v1/jobs" in page.content()

    assert _open_offline(base_url, "/redoc", check) == []


async def test_docs_pages_point_at_packaged_assets(api):
    for path in ("/docs", "/redoc"):
        html = (await api.get(path)).text
        assert "cdn.jsdelivr.net" not in html and "fonts.googleapis" not in html
    assert (await api.get("/static/api-docs/swagger-ui/swagger-ui-bundle.js")).status_code == 200
    assert (await api.get("/static/api-docs/redoc/redoc.standalone.js")).status_code == 200
    assert "Apache License" in (await api.get("/static/api-docs/swagger-ui/LICENSE")).text

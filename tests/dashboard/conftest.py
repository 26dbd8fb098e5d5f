"""Dashboard fixtures: the real stack (dashboard_stack.py) seeded with real work, and a headless Chromium."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboard_stack import running_stack, seed  # noqa: E402


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("dashboard") / "data") as value:
        value.seeded = seed(value)
        yield value


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    from mediamill.processors.html.browser import chromium_executable

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable(), headless=True,
                                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                                    "--autoplay-policy=no-user-gesture-required"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())  # confirmations are accepted
    yield tab
    context.close()

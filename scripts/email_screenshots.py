"""Screenshots of every packaged email template in headless Chromium, for docs/img/email-<name>.png.

Run: .venv/bin/python scripts/email_screenshots.py [out_dir]   (the sample data of each template,
the default branding; the network is cut off, as it is for every mediamill render)
"""

from __future__ import annotations

import sys
from pathlib import Path

from mediamill.processors.html.browser import shutdown, with_page
from mediamill.processors.messaging.catalog import TEMPLATES
from mediamill.services.messaging import preview_email
from mediamill.settings import Settings

WIDTH = 680  # a 600 px email with the margin a desktop client shows around it


def screenshot(html: str, target: Path) -> None:
    def work(page) -> None:
        page.set_content(html, wait_until="load")
        page.screenshot(path=str(target), full_page=True)

    with_page(work, width=WIDTH, height=400, scale=1.0, javascript=False, timeout_s=30)


def main() -> None:
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img")
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(email={"brand_name": "Kayan Live", "unsubscribe_url": "https://app.example.com/unsubscribe",
                               "brand_address": "King Fahd Road, Riyadh"})
    try:
        for name in TEMPLATES:
            target = out_dir / f"email-{name}.png"
            screenshot(preview_email(settings, name).html, target)
            print(target)
    finally:
        shutdown()


if __name__ == "__main__":
    main()

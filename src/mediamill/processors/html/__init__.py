"""HTML -> PNG: Jinja2 templates rendered in headless Chromium (Debian's executable, driven by Playwright)."""

"""Templates: autoescaped and sandboxed, a user folder adds and overrides, the preview command, and how
the HTML really looks in headless Chromium."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from PIL import Image

from mediamill.errors import BadInput
from mediamill.processors.html.browser import with_page
from mediamill.processors.messaging.catalog import TEMPLATES
from mediamill.processors.messaging.templating import Brand, render, template_names
from mediamill.services.messaging import preview_email


def rendered(config, name, data, subject="s"):
    return render(config, name, data, subject=subject, brand=Brand.from_settings(config))


def test_data_is_escaped_in_html_and_left_alone_in_text(settings):
    data = {**TEMPLATES["notification"].sample, "title": "<script>alert(1)</script> & co"}
    body = rendered(settings.email, "notification", data)
    assert "<script>alert(1)" not in body.html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in body.html
    assert "<script>alert(1)</script> & co" in body.text


def test_a_user_folder_overrides_and_adds_templates_and_is_sandboxed(settings, tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "welcome.html.j2").write_text('{% extends "_layout.html.j2" %}{% block content %}'
                                            "<p>Hi {{ name }}, ours</p>{% endblock %}")
    (folder / "weekly-digest.html.j2").write_text("<p>{{ count }} new assets</p>")
    (folder / "sneaky.html.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    config = settings.email.model_copy(update={"templates_dir": folder})

    assert {"welcome", "weekly-digest", "sneaky", "notification"} <= set(template_names(config))
    welcome = rendered(config, "welcome", {"name": "Amira"})
    assert "Hi Amira, ours" in welcome.html
    assert "Hi Amira, ours" in welcome.text and "Sign in" not in welcome.text  # not the packaged text
    digest = rendered(config, "weekly-digest", {"count": 3})
    assert digest.text.strip() == "3 new assets"  # text derived from an HTML-only template
    with pytest.raises(BadInput, match="sandbox") as caught:
        rendered(config, "sneaky", {})
    assert caught.value.field == "template"


def mediamill(settings, *args: str) -> subprocess.CompletedProcess:
    # A child process: the CLI configures logging for its own stdout, which must not outlive the test.
    env = {**os.environ, "MEDIAMILL_DATA_DIR": str(settings.data_dir)}
    return subprocess.run([sys.executable, "-m", "mediamill", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_the_preview_command_writes_html_and_text(settings, tmp_path):
    out = tmp_path / "preview"
    data = {"name": "Amira", "resetUrl": "https://app.example.com/reset?t=1", "expiresInMinutes": 15}
    done = mediamill(settings, "email", "preview", "password-reset", "--data", json.dumps(data),
                     "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["html"] == str(out / "password-reset.html")
    assert "https://app.example.com/reset?t=1" in (out / "password-reset.html").read_text()
    assert "15 minutes" in (out / "password-reset.txt").read_text()

    missing = mediamill(settings, "email", "preview", "password-reset", "--data", "{}", "--out", str(out))
    assert missing.returncode == 2 and "data.resetUrl" in missing.stderr


def test_the_html_looks_like_an_email_in_chromium(settings):
    # Given the default branding, the rendered email is a 600 px card with a brand-coloured header
    # on a grey page, and its button is drawn in the brand colour (CSS inlined: no <style> needed).
    html = preview_email(settings, "welcome").html

    def shot(page):
        page.set_content(html, wait_until="load")
        return page.screenshot(full_page=True)

    image = Image.open(io.BytesIO(with_page(shot, width=680, height=400, scale=1.0, javascript=False,
                                            timeout_s=30))).convert("RGB")
    brand = tuple(int(settings.email.brand_color[i:i + 2], 16) for i in (1, 3, 5))
    background = tuple(int(settings.email.brand_background[i:i + 2], 16) for i in (1, 3, 5))
    assert image.getpixel((5, 5)) == background
    assert image.getpixel((60, 40)) == brand  # the header band, inside the 600 px card
    assert image.getpixel((660, 40)) == background  # outside the card
    row = [image.getpixel((x, y)) for y in range(150, image.height - 100) for x in (80,)]
    assert brand in row  # the button


def test_the_seeds_own_welcome_example_renders(settings):
    # Seed 004's README sends `{template: 'welcome', data: {userName: 'John'}}`: no login link.
    welcome = rendered(settings.email, "welcome", {"userName": "John"})
    assert "Welcome, John!" in welcome.html and "Welcome, John!" in welcome.text
    assert "Sign in:" not in welcome.text
    with_link = rendered(settings.email, "welcome", {"userName": "John", "loginUrl": "https://app.example.com/in"})
    assert 'href="https://app.example.com/in"' in with_link.html and "Sign in: https://app.example.com/in" in with_link.text

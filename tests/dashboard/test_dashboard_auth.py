"""Dashboard auth over a real server: API-key login into a session cookie, CSRF on every action,
read keys see but cannot act, sessions die with their key, and open access only on keyless loopback."""

from __future__ import annotations

import re

import httpx
import pytest
from dashboard_stack import running_stack

from mediamill.services.keys import create_key, revoke_key

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("dashboard-auth") / "data") as stack:
        _, admin = create_key(stack.settings, "ops", "admin")
        reader_info, reader = create_key(stack.settings, "viewer", "read")
        yield stack, admin, reader, reader_info


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(stack, token: str) -> httpx.Client:
    http = httpx.Client(base_url=stack.base_url)
    form = http.get("/dashboard/login")
    answer = http.post("/dashboard/login", data={"key": token, "csrf": csrf_of(form.text), "next": "/dashboard"})
    assert answer.status_code == 303, answer.text[:300]
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/dashboard" in cookie
    return http


def test_pages_need_a_login_when_keys_exist(keyed):
    stack, *_ = keyed
    answer = httpx.get(stack.url("/dashboard/jobs?status=failed"))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard/login?next=%2Fdashboard%2Fjobs%3Fstatus%3Dfailed"


def test_a_wrong_key_is_refused(keyed):
    stack, *_ = keyed
    http = httpx.Client(base_url=stack.base_url)
    form = http.get("/dashboard/login")
    answer = http.post("/dashboard/login", data={"key": "mm_nope_nope", "csrf": csrf_of(form.text)})
    assert answer.status_code == 401 and "unknown API key" in answer.text


def test_login_itself_needs_the_csrf_token(keyed):
    stack, admin, *_ = keyed
    answer = httpx.post(stack.url("/dashboard/login"), data={"key": admin})
    assert answer.status_code == 403 and "CSRF" in answer.text


def test_a_read_key_sees_everything_and_changes_nothing(keyed):
    stack, _, reader, _ = keyed
    http = login(stack, reader)
    for path in ("/dashboard", "/dashboard/jobs", "/dashboard/runs", "/dashboard/settings", "/dashboard/tasks"):
        assert http.get(path).status_code == 200, path
    overview = http.get("/dashboard")
    assert "read-only" in overview.text and "Pause all queues" not in overview.text
    refused = http.post("/dashboard/queues/*/pause", data={"csrf": csrf_of(overview.text)})
    assert refused.status_code == 403 and "may look but not act" in refused.text
    assert not any(q["paused"] for q in _queues(stack))


def test_actions_need_the_csrf_token_even_for_admin(keyed):
    stack, admin, *_ = keyed
    http = login(stack, admin)
    page = http.get("/dashboard")
    assert http.post("/dashboard/queues/analytics/pause", data={}).status_code == 403
    assert http.post("/dashboard/queues/analytics/pause", data={"csrf": "forged"}).status_code == 403
    assert not any(q["paused"] for q in _queues(stack))
    done = http.post("/dashboard/queues/analytics/pause", data={"csrf": csrf_of(page.text)})
    assert done.status_code == 303
    assert [q["name"] for q in _queues(stack) if q["paused"]] == ["analytics"]
    http.post("/dashboard/queues/analytics/resume", headers={"X-CSRF-Token": csrf_of(page.text)})
    assert not any(q["paused"] for q in _queues(stack))


def test_a_token_from_another_session_does_not_pass(keyed):
    stack, admin, *_ = keyed
    first, second = login(stack, admin), login(stack, admin)
    foreign = csrf_of(first.get("/dashboard").text)
    assert second.post("/dashboard/queues/analytics/pause", data={"csrf": foreign}).status_code == 403


def test_a_revoked_key_ends_its_session(keyed):
    stack, *_ = keyed
    info, token = create_key(stack.settings, "temporary", "read")
    http = login(stack, token)
    assert http.get("/dashboard").status_code == 200
    revoke_key(stack.settings, info.id)
    assert http.get("/dashboard").status_code == 303


def test_a_forged_cookie_is_ignored(keyed):
    stack, _, _, reader_info = keyed
    http = httpx.Client(base_url=stack.base_url, cookies={"mediamill_dashboard": f"x.{reader_info.id}.9999999999.f"})
    assert http.get("/dashboard").status_code == 303


def test_browser_login_then_logout(keyed, page):
    stack, _, reader, _ = keyed
    page.goto(stack.url("/dashboard/runs"))
    assert "/dashboard/login" in page.url
    page.fill("#key", reader)
    page.click("main button:has-text('Log in')")
    page.wait_for_url(stack.url("/dashboard/runs"))
    assert "viewer · read-only" in page.inner_text("header")
    page.click("header button:has-text('Log out')")
    page.wait_for_url(stack.url("/dashboard/login"))


def _queues(stack) -> list[dict]:
    from mediamill.services.catalog import queue_overview

    return stack.call(queue_overview(stack.services))

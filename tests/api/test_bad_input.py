"""Every bad request gets a 4xx naming the problem: bodies, tasks, params, content types, ids, SSRF URLs."""

from __future__ import annotations

import asyncio
import http.server
import threading

import pytest


@pytest.mark.parametrize(("body", "status", "needle"), [
    (b"{not json", 422, "not valid JSON"),
    (b"[1, 2]", 422, "must be a JSON object"),
    (b'{"params": {}}', 422, "task: Field required"),
    (b'{"task": "no.such"}', 422, "unknown task 'no.such'"),
    (b'{"task": "file.inspect", "params": {"bogus": 1}}', 422, "params.bogus"),
    (b'{"task": "file.inspect", "params": {"text_preview_chars": -1}}', 422, "params.text_preview_chars"),
    (b'{"task": "file.inspect", "params": []}', 422, "params"),
    (b'{"task": "file.inspect", "inputs": [{"artifact": "art_missing000"}]}', 422, "does not exist"),
    (b'{"task": "file.inspect", "inputs": [{"artifact": "a", "url": "https://x"}]}', 422, "exactly one"),
    (b'{"task": "file.inspect", "surprise": 1}', 422, "surprise"),
])
async def test_bad_json_submissions(api, body, status, needle):
    response = await api.post("/v1/jobs", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert needle in response.json()["message"]


async def test_wrong_content_type_is_415(api):
    response = await api.post("/v1/jobs", content=b"task=file.inspect",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415 and "application/json" in response.json()["message"]


async def test_oversized_json_body_is_413(api):
    response = await api.post("/v1/jobs", content=b'{"task": "' + b"x" * 2_000_000 + b'"}',
                              headers={"Content-Type": "application/json"})
    assert response.status_code == 413


async def test_malformed_multipart_is_422(api):
    response = await api.post("/v1/jobs", content=b"--xyz\r\nnonsense",
                              headers={"Content-Type": "multipart/form-data; boundary=xyz"})
    assert response.status_code == 422
    response = await api.post("/v1/jobs", content=b"", headers={"Content-Type": "multipart/form-data"})
    assert response.status_code == 422 and "boundary" in response.json()["message"]
    response = await api.post("/v1/jobs", data={"params": "{"}, files={"f": ("a", b"1")})
    assert response.status_code == 422


@pytest.mark.parametrize("path", ["/v1/jobs/job_unknown", "/v1/jobs/job_unknown/events", "/v1/artifacts/art_unknown0"])
async def test_unknown_ids_are_404(api, path):
    response = await api.get(path)
    assert response.status_code == 404 and response.json()["error"] == "NotFound"


@pytest.mark.parametrize("method", ["delete", "retry"])
async def test_control_of_unknown_jobs_is_404(api, method):
    response = await (api.delete("/v1/jobs/job_nope") if method == "delete" else api.post("/v1/jobs/job_nope/retry"))
    assert response.status_code == 404


async def test_unknown_queue_and_route(api):
    response = await api.post("/v1/queues/nope/pause")
    assert response.status_code == 404 and "unknown queue 'nope'" in response.json()["message"]
    response = await api.get("/v1/nothing")
    assert response.status_code == 404 and "no such endpoint" in response.json()["message"]
    response = await api.put("/v1/jobs")
    assert response.status_code == 405


async def test_query_validation_names_the_field(api):
    response = await api.get("/v1/jobs", params={"limit": "many"})
    assert response.status_code == 422 and response.json()["field"] == "limit"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/x",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8080/x",
    "http://2130706433/x",  # 127.0.0.1 in decimal
    "http://0x7f.1/x",
    "http://localhost/x",
    "file:///etc/passwd",
    "gopher://example.com/",
])
async def test_ssrf_urls_are_refused_at_submit(api, url):
    for body in ({"task": "file.inspect", "inputs": [{"url": url}]},
                 {"task": "file.inspect", "inputs": [{"artifact": "art_x00000000"}], "notify_url": url}):
        response = await api.post("/v1/jobs", json=body)
        assert response.status_code == 422, (url, response.text)
        assert response.json()["field"] in ("inputs", "notify_url")


class _Redirector(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        self.send_response(302)
        self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.end_headers()

    def log_message(self, *args):
        pass


async def test_a_redirect_to_a_private_address_fails_the_job_at_once(make_api, settings, worker):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    # Given the test server is allow-listed (it is on loopback), only the redirect target is private.
    opened = settings.model_copy(update={"limits": settings.limits.model_copy(
        update={"fetch_allow_hosts": [f"127.0.0.1:{port}"]})})
    try:
        async with make_api(opened) as api, worker(["assets"], settings=opened):
            response = await api.post("/v1/jobs", json={"task": "file.inspect",
                                                        "inputs": [{"url": f"http://127.0.0.1:{port}/a.jpg"}]})
            assert response.status_code == 202, response.text
            for _ in range(600):
                body = (await api.get(f"/v1/jobs/{response.json()['id']}")).json()
                if body["status"] in ("failed", "completed"):
                    break
                await asyncio.sleep(0.05)
    finally:
        server.shutdown()
        server.server_close()
    assert body["status"] == "failed" and body["attempts"] == 1, body
    assert body["error"]["type"] == "BadInput" and "169.254.169.254" in body["error"]["message"]


@pytest.mark.parametrize(("body", "field"), [
    (b"\xff\x1a\x9c not json", "body"),  # bytes that are not even UTF-8 were a 400 from the framework
    (b'{"name": 5}', "name"),
    (b'{"expires_in_hours": -1}', "expires_in_hours"),
    (b'{"surprise": 1}', "surprise"),
])
async def test_bad_direct_upload_confirm_bodies_are_422_naming_the_field(api, body, field):
    response = await api.post("/v1/artifacts/uploads/upl_x/confirm", content=body,
                              headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field

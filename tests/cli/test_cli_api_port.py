"""`mediamill api --port P`: the links the API hands out point at P, not at the settings' default port."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from mediamill.serve import with_api_address
from mediamill.settings import Settings
from mediamill.testing import free_port


def test_with_api_address_moves_the_base_url(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert with_api_address(settings, None, None) is settings
    assert with_api_address(settings, None, 18431).base_url == "http://127.0.0.1:18431"
    assert with_api_address(settings, "0.0.0.0", 9).base_url == "http://0.0.0.0:9"


def test_download_links_carry_the_port_given_on_the_command_line(tmp_path):
    port = free_port()
    env = {**os.environ, "MEDIAMILL_DATA_DIR": str(tmp_path / "data"), "MEDIAMILL_LOG_LEVEL": "warning"}
    server = subprocess.Popen([sys.executable, "-m", "mediamill", "api", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "the API did not start"
            time.sleep(0.2)
        answer = httpx.post(f"{base}/v1/artifacts", files={"file": ("a.txt", b"hello\n")}, timeout=30)
        assert answer.status_code in (200, 201), answer.text
        assert answer.json()["download"]["url"].startswith(f"{base}/v1/artifacts/")
    finally:
        server.terminate()
        server.wait(30)

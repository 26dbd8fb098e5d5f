"""A real S3-compatible server for the storage tests: moto's server mode, on a random local port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "mediamill-test",
    "AWS_SECRET_ACCESS_KEY": "mediamill-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    # Never pick up a developer's ~/.aws profile or credentials.
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """http://127.0.0.1:<port> of a moto S3 server in a child process; AWS_* test credentials set.

    A separate process, so the server's own memory (it keeps objects in RAM) never counts in the
    client-side memory measurements.
    """
    saved = {key: os.environ.get(key) for key in AWS_ENV}
    os.environ.update(AWS_ENV)
    process, endpoint = _start_moto()
    try:
        yield endpoint
    finally:
        process.terminate()
        process.wait(10)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _start_moto() -> tuple[subprocess.Popen, str]:
    for _ in range(5):  # the free port may be taken between probing and binding: try again
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).close()
                return process, endpoint
            except OSError:
                time.sleep(0.1)
        process.kill()
        process.wait()
    raise RuntimeError("could not start the moto S3 server")


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    """A fresh, empty bucket for one test."""
    import boto3

    name = f"mm-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_store(s3_endpoint: str, s3_bucket: str, tmp_path: Path):
    from mediamill.storage.s3 import S3Store

    return S3Store.from_url(f"s3://{s3_bucket}/outputs", endpoint_url=s3_endpoint, tmp_root=tmp_path / "tmp")

"""`mediamill probe worker`: a fresh liveness file passes, a stale or missing one fails naming why."""

from __future__ import annotations

import os
import time

from typer.testing import CliRunner

from mediamill.cli.app import app
from mediamill.settings import get_settings


def probe(tmp_path, monkeypatch, alive):
    monkeypatch.setenv("MEDIAMILL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDIAMILL_WORKER_LIVENESS_FILE", str(alive))
    monkeypatch.setenv("MEDIAMILL_HEARTBEAT_INTERVAL_S", "1")
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["probe", "worker"])
    finally:
        get_settings.cache_clear()


def test_probe_worker_by_liveness_file(tmp_path, monkeypatch):
    alive = tmp_path / "alive"
    missing = probe(tmp_path, monkeypatch, alive)
    assert missing.exit_code == 1 and "never beat" in " ".join(missing.output.split())
    alive.touch()
    assert probe(tmp_path, monkeypatch, alive).exit_code == 0
    old = time.time() - 60
    os.utime(alive, (old, old))
    stale = probe(tmp_path, monkeypatch, alive)
    assert stale.exit_code == 1 and "stuck" in " ".join(stale.output.split())

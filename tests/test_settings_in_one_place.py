"""Configuration is read in one place: no module but settings.py reads the process environment."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "mediamill"
READS = re.compile(r"\bos\.environ\b|\bos\.getenv\b|\bgetenv\(|from os import [^\n]*environ")
ALLOWED = {
    "settings.py": "the settings themselves",
    "processors/html/browser.py": "sets NODE_OPTIONS for Playwright's driver child process while it starts",
    "db/testing.py": "the test harness's PostgreSQL admin URL (MEDIAMILL_TEST_POSTGRES_URL), not a setting",
    "engine/metrics.py": "sets PROMETHEUS_MULTIPROC_DIR, which prometheus_client reads from the environment only",
    "engine/child.py": "hands a forked task process its worker's current environment (the fork server's is older)",
}


def test_only_the_settings_read_the_environment():
    readers = sorted(str(path.relative_to(SRC)) for path in SRC.rglob("*.py") if READS.search(path.read_text()))
    assert [path for path in readers if path not in ALLOWED] == []


def test_the_allow_list_is_not_stale():
    for path in ALLOWED:
        assert READS.search((SRC / path).read_text()), f"{path} no longer reads the environment: drop it"

"""`mediamill share ...` and `mediamill artifacts delete` in a child process, on the test's data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from mediamill.client import AsyncClient


def mediamill(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MEDIAMILL_DATA_DIR": str(settings.data_dir)}
    return subprocess.run([sys.executable, "-m", "mediamill", *args], capture_output=True, text=True, env=env,
                          timeout=180)


@pytest.mark.slow
async def test_share_create_list_revoke_then_delete_the_artifact(settings):
    async with AsyncClient(settings) as client:
        artifact = await client.upload(b"shared from the command line\n", "note.txt")

    created = mediamill(settings, "share", "create", artifact.id, "--max-downloads", "3", "--password",
                        "long enough", "--json")
    assert created.returncode == 0, created.stderr
    link = json.loads(created.stdout)
    assert link["max_downloads"] == 3 and link["password"] and link["url"].startswith("http://") and "/s/" in link["url"]

    short = mediamill(settings, "share", "create", artifact.id, "--password", "short")
    assert short.returncode == 2 and "password must be at least 8 characters" in short.stderr

    listed = json.loads(mediamill(settings, "share", "list", artifact.id, "--json").stdout)
    assert [row["id"] for row in listed] == [link["id"]] and listed[0]["state"] == "active"
    human = mediamill(settings, "share", "list")
    assert link["id"] in human.stdout and "active" in human.stdout

    revoked = mediamill(settings, "share", "revoke", link["id"])
    assert revoked.returncode == 0 and f"revoked {link['id']}" in revoked.stdout
    assert json.loads(mediamill(settings, "share", "list", "--active", "--json").stdout) == []

    dry = json.loads(mediamill(settings, "artifacts", "delete", artifact.id, "--dry-run", "--json").stdout)
    assert dry["dry_run"] and dry["deleted"] == []
    deleted = mediamill(settings, "artifacts", "delete", artifact.id)
    assert deleted.returncode == 0 and f"deleted {artifact.id}" in deleted.stdout
    missing = mediamill(settings, "artifacts", "delete", artifact.id)
    assert missing.returncode == 1 and "no artifact" in missing.stderr

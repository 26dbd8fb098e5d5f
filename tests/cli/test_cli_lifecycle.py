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


@pytest.mark.slow
def test_schedules_list_and_cleanup_dry_run(settings):
    from datetime import UTC, datetime, timedelta

    from mediamill.db import open_database
    from mediamill.db.models import ShareLink

    with open_database(settings).session() as session:
        session.add(ShareLink(id="shr_cli", artifact_id="art_0000000000000000000000", token_hash="0" * 64,
                              expires_at=datetime.now(UTC) - timedelta(hours=1), downloads=0))

    listed = mediamill(settings, "schedules", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert set(rows) == {"storage.cleanup:hourly", "storage.cleanup:daily", "storage.cleanup:monthly",
                         "pipelines.sweep:5min"}
    assert rows["storage.cleanup:daily"]["next_run"].endswith("02:00:00+00:00")

    dry = mediamill(settings, "cleanup", "EXPIRED_LINKS", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would remove" in dry.stdout and "expired_links" in dry.stdout and "links: 1" in dry.stdout
    done = json.loads(mediamill(settings, "cleanup", "expired_links", "--json").stdout)
    assert done == {"expired_links": {"links": 1, "more": False}}
    bad = mediamill(settings, "cleanup", "NOPE")
    assert bad.returncode == 2 and "types" in bad.stderr

"""API keys: stored as hashes, 401 vs 403, keyless loopback, and the refusal to bind wide without keys."""

from __future__ import annotations

import hashlib

import pytest

from mediamill.api.server import build_server, check_bind
from mediamill.db import open_database
from mediamill.db.repositories import keys as key_records
from mediamill.errors import BadInput, ConfigError, NotFound
from mediamill.services.keys import create_key, list_keys, revoke_key

JOB = {"task": "file.inspect", "params": {}}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_create_list_revoke_and_only_the_hash_is_stored(settings):
    info, token = create_key(settings, "app", "submit,read")
    assert token.startswith(f"mm_{info.prefix}_") and info.scopes == ("read", "submit")
    with open_database(settings).session() as session:
        stored = key_records.get(session, info.id)
        assert stored.hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in repr(stored.__dict__)
    assert [k.name for k in list_keys(settings)] == ["app"]
    revoked = revoke_key(settings, info.id)
    assert revoked.revoked_at is not None
    assert revoke_key(settings, info.prefix).revoked_at == revoked.revoked_at  # by prefix, idempotent
    assert list_keys(settings, include_revoked=False) == []


def test_bad_key_requests_are_refused_clearly(settings):
    with pytest.raises(BadInput, match="unknown scope"):
        create_key(settings, "x", "submit,root")
    with pytest.raises(BadInput, match="name"):
        create_key(settings, "  ", "read")
    with pytest.raises(NotFound):
        revoke_key(settings, "key_nope")


async def test_no_keys_on_loopback_needs_no_key(api):
    assert (await api.get("/v1/queues")).status_code == 200


async def test_no_keys_beyond_loopback_refuses_every_request(make_api):
    async with make_api(loopback_only=False) as api:
        response = await api.get("/v1/queues")
    assert response.status_code == 401 and "mediamill keys create" in response.json()["message"]


async def test_401_for_missing_unknown_malformed_or_revoked_keys(api, settings):
    info, token = create_key(settings, "app", ["read"])
    missing = await api.get("/v1/queues")
    assert missing.status_code == 401 and "missing API key" in missing.json()["message"]
    assert missing.headers["www-authenticate"] == "Bearer"
    unknown = await api.get("/v1/queues", headers=bearer(f"mm_{info.prefix}_wrongsecret"))
    assert unknown.status_code == 401 and unknown.json()["message"] == "unknown API key"
    malformed = await api.get("/v1/queues", headers={"Authorization": "Basic abc"})
    assert malformed.status_code == 401 and "Bearer" in malformed.json()["message"]
    assert (await api.get("/v1/queues", headers=bearer(token))).status_code == 200
    revoke_key(settings, info.id)
    revoked = await api.get("/v1/queues", headers=bearer(token))
    assert revoked.status_code == 401 and "revoked" in revoked.json()["message"]


async def test_403_names_the_missing_scope(api, settings):
    _, reader = create_key(settings, "dashboard", ["read"])
    _, submitter = create_key(settings, "app", ["submit"])
    _, admin = create_key(settings, "ops", ["admin"])
    refused = await api.post("/v1/jobs", json=JOB, headers=bearer(reader))
    assert refused.status_code == 403 and "'submit' scope" in refused.json()["message"]
    refused = await api.get("/v1/queues", headers=bearer(submitter))
    assert refused.status_code == 403 and "'read' scope" in refused.json()["message"]
    refused = await api.post("/v1/queues/images/pause", headers=bearer(reader))
    assert refused.status_code == 403 and "'admin' scope" in refused.json()["message"]
    # admin implies the other scopes
    assert (await api.post("/v1/queues/images/pause", headers=bearer(admin))).json() == {"name": "images",
                                                                                        "paused": True}
    assert (await api.get("/v1/queues", headers=bearer(admin))).status_code == 200


async def test_download_links_need_no_key(api, settings):
    create_key(settings, "app", ["read"])
    link = None
    _, token = create_key(settings, "uploader", ["submit", "read"])
    uploaded = await api.post("/v1/artifacts", content=b"abc", headers={**bearer(token),
                                                                        "Content-Type": "application/octet-stream"})
    link = uploaded.json()["download"]["url"]
    response = await api.get(link)
    assert response.status_code == 200 and response.content == b"abc"


def test_binding_beyond_loopback_without_keys_refuses_to_start(settings):
    assert check_bind(settings, "127.0.0.1") is True
    assert check_bind(settings, "::1") is True
    with pytest.raises(ConfigError, match="no API key exists"):
        build_server(settings, "0.0.0.0", 8000)
    create_key(settings, "app", ["read"])
    server = build_server(settings, "0.0.0.0", 8000)
    assert server.config.app.state.loopback_only is False

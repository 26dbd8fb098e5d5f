"""The marketing seed's (000) four pipelines by the seed's own names over HTTP, and its chained Voice-Over Only."""

from urllib.parse import quote

import pytest
from test_pipelines_routes import wait_run

SEED_NAMES = {"Enhanced Images": "enhanced-images", "Viral Text": "viral-copy",
              "Voice-Over Only": "scripted-voice-over", "Complete Video": "promo-video",
              "voice-over-only": "scripted-voice-over", "complete video": "promo-video"}
PRODUCT = {"name": "Trail Mug", "description": "A double-walled steel mug that keeps coffee hot for six hours.",
           "features": ["leak-proof lid", "fits car cup holders"]}


async def test_the_seed_pipeline_names_reach_mediamill_pipelines(api):
    for seed_name, name in SEED_NAMES.items():
        answer = await api.get(f"/v1/pipelines/{quote(seed_name)}")
        assert answer.status_code == 200, (seed_name, answer.text)
        described = answer.json()
        assert described["name"] == name and described["available"], described
    listing = {p["name"]: p for p in (await api.get("/v1/pipelines")).json()}
    assert "Voice-Over Only" in listing["scripted-voice-over"]["aliases"]
    assert (await api.get(f"/v1/pipelines/{quote('Voice Only')}")).status_code == 404


@pytest.mark.slow
async def test_voice_over_only_chains_the_copy_into_the_voice_over(api, worker):
    async with worker(["text", "voiceover"]):
        answer = await api.post(f"/v1/pipelines/{quote('Voice-Over Only')}/runs",
                                json={"params": {"product": PRODUCT, "format": "mp3"}})
        assert answer.status_code == 202, answer.text
        view = await wait_run(api, answer.json()["id"], timeout=300)
    assert view["state"] == "completed", view["error"]
    assert view["pipeline"] == "scripted-voice-over"
    assert [s["name"] for s in view["steps"]] == ["copy", "voiceover"]
    outputs = view["outputs"]
    assert "Trail Mug" in outputs["script"] and outputs["duration_s"] > 2
    audio = await api.get(outputs["audio"]["url"])
    assert audio.status_code == 200 and audio.content[:3] in (b"ID3", b"\xff\xfb", b"\xff\xf3")

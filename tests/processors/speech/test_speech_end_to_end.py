"""Through a real worker: text -> voice-over -> captions, provider retries, BadInput with one attempt."""

import json

import pytest
from fake_speech_apis import KEY, FakeSpeechAPIs, RunningServer

from mediamill.errors import JobFailed
from mediamill.processors.speech.quality import word_error_rate

TEXT = "The worker speaks this line. Then it writes the captions for it."


@pytest.mark.slow
async def test_voiceover_then_captions_through_workers(client, worker):
    async with worker(["voiceover", "captions"]) as service:
        spoken = await (await client.submit("speech.voiceover", {"text": TEXT, "format": "m4a"})).result(120)
        audio = spoken["audio"]["artifact"]
        again = await (await client.submit("speech.voiceover", {"text": TEXT, "format": "wav"})).result(120)
        handle = await client.submit("speech.captions", {"script": TEXT}, [audio])
        captions = await handle.result(120)
        # Models load once per process: the voiceover pool has kept its child for the second job.
        assert len(service.pool.child_pids()) >= 2
    assert spoken["audio"]["mime"] == "audio/mp4" and again["duration_s"] > 2
    assert captions["script_aligned"] and captions["word_count"] == len(TEXT.split())
    words = json.loads(client.store.open(captions["words"]["artifact"]).read())
    assert word_error_rate(TEXT, words["text"]) == 0
    status = await handle.status()
    assert status.state == "completed" and status.progress == 100


async def test_bad_input_fails_at_once(client, worker, tmp_path):
    mute = tmp_path / "notes.txt"
    mute.write_text("this is not audio")
    async with worker(["voiceover", "captions"]):
        empty = await client.submit("speech.voiceover", {"text": "   "})
        not_audio = await client.submit("speech.captions", {}, [mute])
        for handle, message in ((empty, "empty"), (not_audio, "audio or video")):
            with pytest.raises(JobFailed, match=message):
                await handle.result(60)
            status = await handle.status()
            assert status.attempts == 1 and status.error.type in ("BadInput", "LimitExceeded")


async def test_provider_outage_is_retried(client, worker, monkeypatch):
    apis = FakeSpeechAPIs()
    with RunningServer(apis) as server:
        monkeypatch.setenv("MEDIAMILL_ELEVENLABS_API_KEY", KEY)
        monkeypatch.setenv("MEDIAMILL_ELEVENLABS_BASE_URL", server.url)
        async with worker(["voiceover"]):  # the worker's child processes inherit the environment
            handle = await client.submit("speech.voiceover", {"text": "FAIL503 please.", "provider": "elevenlabs"})
            with pytest.raises(JobFailed, match="503"):
                await handle.result(60)
            status = await handle.status()
    assert status.attempts == status.max_attempts > 1 and status.error.type == "ProviderError"
    assert len([r for r in apis.requests if r["api"] == "elevenlabs.tts"]) == status.attempts

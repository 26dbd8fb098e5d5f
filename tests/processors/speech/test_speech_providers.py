"""Cloud adapters against a local server speaking each documented API: request shapes, audio, errors."""

import json
import socket

import pytest
from fake_speech_apis import KEY, FakeSpeechAPIs, RunningServer
from speech_media import SAMPLE_TEXT

from mediamill.errors import BadInput, ProviderError, ProviderRefused
from mediamill.processors.speech.quality import word_error_rate
from mediamill.testing import call_task

PROVIDER_ENV = {
    "openai": ("MEDIAMILL_OPENAI_API_KEY", "MEDIAMILL_OPENAI_BASE_URL", "{url}/v1"),
    "google": ("MEDIAMILL_GOOGLE_API_KEY", "MEDIAMILL_GOOGLE_TTS_BASE_URL", "{url}"),
    "elevenlabs": ("MEDIAMILL_ELEVENLABS_API_KEY", "MEDIAMILL_ELEVENLABS_BASE_URL", "{url}"),
}
ALL_KEYS = ["OPENAI_API_KEY", "GOOGLE_API_KEY", "ELEVENLABS_API_KEY"] + [v[0] for v in PROVIDER_ENV.values()]


@pytest.fixture(scope="module")
def fake_apis():
    apis = FakeSpeechAPIs()
    with RunningServer(apis) as server:
        yield server


@pytest.fixture
def cloud(fake_apis, monkeypatch):
    """Point every provider at the local server; keys are set per test with `enable`."""
    for name in ALL_KEYS:
        monkeypatch.delenv(name, raising=False)
    for _, base_env, base in PROVIDER_ENV.values():
        monkeypatch.setenv(base_env, base.format(url=fake_apis.url))
    fake_apis.apis.requests.clear()

    def enable(provider: str, key: str = KEY) -> None:
        monkeypatch.setenv(PROVIDER_ENV[provider][0], key)

    enable.server = fake_apis
    return enable


@pytest.mark.parametrize("provider, voice, api", [
    ("openai", "nova", "openai.speech"),
    ("google", "en-GB-Neural2-B", "google.synthesize"),
    ("elevenlabs", "pNInz6obpgDQGcFmaJgB", "elevenlabs.tts"),
])
def test_tts_provider(speech_settings, cloud, provider, voice, api):
    cloud(provider)
    text = "Cloud voices work too. They speak every sentence."
    result, _ = call_task(speech_settings, "speech.voiceover",
                          {"text": text, "provider": provider, "voice": voice, "format": "wav", "speed": 1.2})
    assert result["provider"] == provider and result["voice"] == voice and result["sample_rate"] == 24_000
    assert result["duration_s"] > 1.5 and result["loudness_lufs"] == pytest.approx(-16, abs=1)
    calls = [r for r in cloud.server.apis.requests if r["api"] == api]
    assert len(calls) == 2  # one request per sentence
    assert calls[0]["headers"]["content-type"] == "application/json"
    if provider == "google":
        assert calls[0]["json"]["voice"] == {"languageCode": "en-GB", "name": voice}
        assert calls[0]["json"]["audioConfig"]["speakingRate"] == 1.2
    elif provider == "elevenlabs":
        assert calls[0]["voice_id"] == voice and calls[0]["json"]["voice_settings"]["speed"] == 1.2
    else:
        assert calls[0]["json"]["voice"] == voice and calls[0]["json"]["speed"] == 1.2


def test_auto_picks_a_provider_with_a_key_else_piper(speech_settings, cloud):
    result, _ = call_task(speech_settings, "speech.voiceover", {"text": "Offline.", "provider": "auto"})
    assert result["provider"] == "piper"
    cloud("elevenlabs")
    result, _ = call_task(speech_settings, "speech.voiceover", {"text": "Online.", "provider": "auto"})
    assert result["provider"] == "elevenlabs"


@pytest.mark.parametrize("provider", ["openai", "google", "elevenlabs"])
@pytest.mark.parametrize("marker, error", [
    ("FAIL500", ProviderError), ("FAIL503", ProviderError), ("FAIL429", ProviderError), ("FAIL400", BadInput),
])
def test_provider_errors_are_translated(speech_settings, cloud, provider, marker, error):
    cloud(provider)
    with pytest.raises(error, match=marker[-3:]):
        call_task(speech_settings, "speech.voiceover", {"text": f"Say {marker} now.", "provider": provider})


@pytest.mark.parametrize("provider, message", [
    ("openai", "Incorrect API key"), ("google", "API key not valid"), ("elevenlabs", "Invalid API key")])
def test_a_wrong_key_is_refused_without_retry(speech_settings, cloud, provider, message):
    # The same table as the LLM and image adapters (providers/http.py): 401/403 is ProviderRefused.
    cloud(provider, key="wrong")
    with pytest.raises(ProviderRefused, match=message) as caught:
        call_task(speech_settings, "speech.voiceover", {"text": "Hello.", "provider": provider})
    assert caught.value.retryable is False


def test_an_unreachable_provider_is_a_retryable_error(speech_settings, cloud, monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cloud("openai")
    monkeypatch.setenv("MEDIAMILL_OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    with pytest.raises(ProviderError, match="could not be reached"):
        call_task(speech_settings, "speech.voiceover", {"text": "Hello.", "provider": "openai"})


def test_openai_transcription(speech_settings, sample_speech, cloud):
    path, _ = sample_speech
    cloud("openai")
    result, ctx = call_task(speech_settings, "speech.captions", {"engine": "auto"}, [path])
    assert result["engine"] == "openai" and result["cue_count"] >= 3
    with ctx.store.open(result["words"]["artifact"]) as handle:
        words = json.load(handle)
    assert word_error_rate(SAMPLE_TEXT, words["text"]) <= 0.25
    call = next(r for r in cloud.server.apis.requests if r["api"] == "openai.transcriptions")
    assert call["form"]["language"] == "en" and call["filename"].endswith(".mp3")
    assert call["headers"]["content-type"].startswith("multipart/form-data")


def test_openai_transcription_without_a_key_is_bad_input(speech_settings, sample_speech, cloud):
    path, _ = sample_speech
    with pytest.raises(BadInput, match="OPENAI_API_KEY"):
        call_task(speech_settings, "speech.captions", {"engine": "openai"}, [path])

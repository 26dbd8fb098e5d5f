"""OpenAI speech: text-to-speech (POST /audio/speech, raw 24 kHz PCM) and transcription with word times."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mediamill.processors.speech.providers.base import (
    OPENAI,
    http_client,
    pcm16_to_float,
    provider_http_errors,
)

TTS_MODEL = "gpt-4o-mini-tts"
TTS_DEFAULT_VOICE = "alloy"
TTS_SAMPLE_RATE = 24_000  # response_format "pcm" is 24 kHz, 16-bit signed little-endian, mono
TRANSCRIBE_MODEL = "whisper-1"  # the model that returns word timestamps (verbose_json)
MAX_UPLOAD_BYTES = 25 * 1024 * 1024


class OpenAISynthesizer:
    name = "openai"
    sample_rate = TTS_SAMPLE_RATE

    def __init__(self, voice: str | None, speed: float = 1.0) -> None:
        self.voice = voice or TTS_DEFAULT_VOICE
        self._speed = min(4.0, max(0.25, speed))
        self._key = OPENAI.require_key()
        self._client = http_client()

    def synthesize(self, sentence: str) -> np.ndarray:
        body = {"model": TTS_MODEL, "input": sentence, "voice": self.voice,
                "response_format": "pcm", "speed": self._speed}
        with provider_http_errors("OpenAI"):
            response = self._client.post(f"{OPENAI.base_url}/audio/speech", json=body,
                                         headers={"Authorization": f"Bearer {self._key}"})
            response.raise_for_status()
        return pcm16_to_float(response.content)


def transcribe_words(audio_path: Path, language: str | None = "en") -> list[dict]:
    """Words with start/end times from OpenAI's transcription API (confidence is not reported: 1.0)."""
    from mediamill.errors import LimitExceeded

    key = OPENAI.require_key()
    size = audio_path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise LimitExceeded(f"OpenAI transcription takes files up to 25 MB; the audio is {size} bytes",
                            field="inputs")
    data = {"model": TRANSCRIBE_MODEL, "response_format": "verbose_json", "timestamp_granularities[]": "word"}
    if language:
        data["language"] = language
    with provider_http_errors("OpenAI"), http_client() as client, audio_path.open("rb") as audio:
        response = client.post(f"{OPENAI.base_url}/audio/transcriptions", data=data,
                               files={"file": (audio_path.name, audio, "audio/mpeg")},
                               headers={"Authorization": f"Bearer {key}"})
        response.raise_for_status()
        body = response.json()
    return [{"word": word["word"].strip(), "start": float(word["start"]), "end": float(word["end"]),
             "confidence": 1.0} for word in body.get("words") or [] if word.get("word", "").strip()]

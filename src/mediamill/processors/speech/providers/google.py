"""Google Cloud Text-to-Speech (v1 text:synthesize, LINEAR16) with an API key."""

from __future__ import annotations

import base64
import io
import wave

import numpy as np

from mediamill.errors import ProviderError
from mediamill.processors.speech.providers.base import (
    GOOGLE,
    http_client,
    pcm16_to_float,
    provider_http_errors,
)

DEFAULT_VOICE = "en-US-Neural2-D"
SAMPLE_RATE = 24_000


class GoogleSynthesizer:
    name = "google"
    sample_rate = SAMPLE_RATE

    def __init__(self, voice: str | None, speed: float = 1.0) -> None:
        self.voice = voice or DEFAULT_VOICE
        self._speed = min(4.0, max(0.25, speed))
        self._key = GOOGLE.require_key()
        self._client = http_client()

    def synthesize(self, sentence: str) -> np.ndarray:
        language = "-".join(self.voice.split("-")[:2])  # "en-US-Neural2-D" -> "en-US"
        body = {
            "input": {"text": sentence},
            "voice": {"languageCode": language, "name": self.voice},
            "audioConfig": {"audioEncoding": "LINEAR16", "sampleRateHertz": SAMPLE_RATE,
                            "speakingRate": self._speed},
        }
        with provider_http_errors("Google Cloud TTS"):
            response = self._client.post(f"{GOOGLE.base_url}/v1/text:synthesize", json=body,
                                         headers={"X-Goog-Api-Key": self._key})
            response.raise_for_status()
            content = response.json().get("audioContent")
        if not content:
            raise ProviderError("Google Cloud TTS answered without audioContent")
        return _linear16(base64.b64decode(content))


def _linear16(content: bytes) -> np.ndarray:
    # LINEAR16 comes with a WAV header; read the samples through it to skip the header exactly.
    if content[:4] != b"RIFF":
        return pcm16_to_float(content)
    try:
        with wave.open(io.BytesIO(content)) as wav:
            if wav.getframerate() != SAMPLE_RATE or wav.getnchannels() != 1:
                raise ProviderError(f"Google returned {wav.getframerate()} Hz x{wav.getnchannels()}, "
                                    f"asked for {SAMPLE_RATE} Hz mono")
            return pcm16_to_float(wav.readframes(wav.getnframes()))
    except wave.Error as exc:
        raise ProviderError(f"Google returned unreadable audio: {exc}") from None

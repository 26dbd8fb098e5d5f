"""ElevenLabs text-to-speech (POST /v1/text-to-speech/{voice_id}, raw PCM output)."""

from __future__ import annotations

import numpy as np

from mediamill.processors.speech.providers.base import (
    ELEVENLABS,
    http_client,
    pcm16_to_float,
    provider_http_errors,
)

MODEL = "eleven_multilingual_v2"
DEFAULT_VOICE = "21m00Tcm4TlvDq8ikWAM"  # "Rachel", a premade voice every account has
SAMPLE_RATE = 24_000
OUTPUT_FORMAT = "pcm_24000"  # 16-bit signed little-endian mono


class ElevenLabsSynthesizer:
    name = "elevenlabs"
    sample_rate = SAMPLE_RATE

    def __init__(self, voice: str | None, speed: float = 1.0) -> None:
        self.voice = voice or DEFAULT_VOICE
        self._speed = min(1.2, max(0.7, speed))  # the range ElevenLabs accepts
        self._key = ELEVENLABS.require_key()
        self._client = http_client()

    def synthesize(self, sentence: str) -> np.ndarray:
        body = {"text": sentence, "model_id": MODEL, "voice_settings": {"speed": self._speed}}
        with provider_http_errors("ElevenLabs"):
            response = self._client.post(f"{ELEVENLABS.base_url}/v1/text-to-speech/{self.voice}",
                                         params={"output_format": OUTPUT_FORMAT}, json=body,
                                         headers={"xi-api-key": self._key})
            response.raise_for_status()
        return pcm16_to_float(response.content)

"""What every cloud speech adapter shares: keys and base URLs from the settings, one HTTP client.

HTTP failures are translated by providers.http (the table shared with the LLM and image adapters).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from mediamill.errors import BadInput
from mediamill.providers.http import provider_http_errors
from mediamill.settings import RuntimeSettings, runtime_settings

HTTP_TIMEOUT_S = 120.0
__all__ = ["ELEVENLABS", "GOOGLE", "OPENAI", "TTS_PROVIDERS", "http_client", "pcm16_to_float",
           "provider_http_errors"]


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    key_field: str  # a RuntimeSettings field
    base_url_field: str
    default_base_url: str

    @property
    def api_key(self) -> str | None:
        return getattr(runtime_settings(), self.key_field)

    @property
    def base_url(self) -> str:
        return (getattr(runtime_settings(), self.base_url_field) or self.default_base_url).rstrip("/")

    def require_key(self) -> str:
        key = self.api_key
        if not key:
            names = " or ".join(RuntimeSettings.env_names(self.key_field))
            raise BadInput(f"provider {self.name!r} needs an API key: set {names}", field="provider")
        return key


OPENAI = ProviderConfig("openai", "openai_api_key", "openai_base_url", "https://api.openai.com/v1")
GOOGLE = ProviderConfig("google", "google_api_key", "google_tts_base_url", "https://texttospeech.googleapis.com")
ELEVENLABS = ProviderConfig("elevenlabs", "elevenlabs_api_key", "elevenlabs_base_url", "https://api.elevenlabs.io")
TTS_PROVIDERS = {config.name: config for config in (OPENAI, GOOGLE, ELEVENLABS)}


def http_client() -> httpx.Client:
    return httpx.Client(timeout=HTTP_TIMEOUT_S, follow_redirects=False)


def pcm16_to_float(data: bytes):
    import numpy as np

    usable = len(data) - len(data) % 2
    return (np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0)

"""What every cloud speech adapter shares: keys and base URLs from the environment, HTTP, error mapping.

Provider errors become mediamill errors at this edge, in one context manager:
    network trouble, timeouts, 408/409/425/429 and 5xx   -> ProviderError (retried with backoff)
    any other 4xx (bad key, bad voice, text too long...)  -> BadInput (no retry can fix it)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

from mediamill.errors import BadInput, ProviderError

HTTP_TIMEOUT_S = 120.0
RETRYABLE_STATUSES = {408, 409, 425, 429}


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    key_envs: tuple[str, ...]
    base_url_envs: tuple[str, ...]
    default_base_url: str

    @property
    def api_key(self) -> str | None:
        return next((os.environ[env] for env in self.key_envs if os.environ.get(env)), None)

    @property
    def base_url(self) -> str:
        url = next((os.environ[env] for env in self.base_url_envs if os.environ.get(env)), self.default_base_url)
        return url.rstrip("/")

    def require_key(self) -> str:
        key = self.api_key
        if not key:
            raise BadInput(f"provider {self.name!r} needs an API key: set {' or '.join(self.key_envs)}",
                           field="provider")
        return key


OPENAI = ProviderConfig("openai", ("MEDIAMILL_OPENAI_API_KEY", "OPENAI_API_KEY"),
                        ("MEDIAMILL_OPENAI_BASE_URL", "OPENAI_BASE_URL"), "https://api.openai.com/v1")
GOOGLE = ProviderConfig("google", ("MEDIAMILL_GOOGLE_API_KEY", "GOOGLE_API_KEY"),
                        ("MEDIAMILL_GOOGLE_TTS_BASE_URL",), "https://texttospeech.googleapis.com")
ELEVENLABS = ProviderConfig("elevenlabs", ("MEDIAMILL_ELEVENLABS_API_KEY", "ELEVENLABS_API_KEY"),
                            ("MEDIAMILL_ELEVENLABS_BASE_URL",), "https://api.elevenlabs.io")
TTS_PROVIDERS = {config.name: config for config in (OPENAI, GOOGLE, ELEVENLABS)}


def http_client():
    import httpx

    return httpx.Client(timeout=HTTP_TIMEOUT_S, follow_redirects=False)


@contextlib.contextmanager
def provider_errors(name: str) -> Iterator[None]:
    """Translate httpx errors and provider HTTP statuses into ProviderError or BadInput."""
    import httpx

    try:
        yield
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        detail = _error_detail(exc.response)
        message = f"{name} answered HTTP {status}: {detail}"
        if status in RETRYABLE_STATUSES or status >= 500:
            raise ProviderError(message) from None
        raise BadInput(message, field="provider") from None
    except httpx.HTTPError as exc:
        raise ProviderError(f"{name} could not be reached: {type(exc).__name__}: {exc}") from None


def _error_detail(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    error = body.get("error") or body.get("detail") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("status") or error)[:300]
    return str(error or body)[:300]


def pcm16_to_float(data: bytes):
    import numpy as np

    usable = len(data) - len(data) % 2
    return (np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0)

"""Adapter for a generative image-edit API (OpenAI's /v1/images/edits), used only when a key is set.

Settings (RuntimeSettings): MEDIAMILL_OPENAI_API_KEY (or OPENAI_API_KEY), MEDIAMILL_OPENAI_BASE_URL
(or OPENAI_BASE_URL: any server speaking that API; default https://api.openai.com/v1),
MEDIAMILL_OPENAI_IMAGE_MODEL (gpt-image-1). HTTP failures are translated by providers.http.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import httpx

from mediamill.errors import ProviderError
from mediamill.providers.http import check_status, provider_http_errors
from mediamill.settings import runtime_settings

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-image-1"
TIMEOUT_S = 180.0
DEFAULT_PROMPT = ("Enhance this product photo for an online shop: even studio lighting, accurate colours, "
                  "crisp detail, clean neutral background. Keep the product exactly as it is.")


@dataclass(frozen=True)
class OpenAIImages:
    api_key: str
    base_url: str = DEFAULT_BASE_URL
    model: str = DEFAULT_MODEL

    @classmethod
    def from_settings(cls) -> OpenAIImages | None:
        config = runtime_settings()
        if not config.openai_api_key:
            return None
        return cls(api_key=config.openai_api_key, base_url=(config.openai_base_url or DEFAULT_BASE_URL).rstrip("/"),
                   model=config.openai_image_model or DEFAULT_MODEL)

    def edit(self, image_png: bytes, prompt: str, count: int) -> list[bytes]:
        """`count` edited versions of the image, as encoded image bytes."""
        with provider_http_errors("the image edit API", TIMEOUT_S):
            response = httpx.post(
                f"{self.base_url}/images/edits",
                headers={"Authorization": f"Bearer {self.api_key}"},
                data={"model": self.model, "prompt": prompt, "n": str(count)},
                files={"image": ("image.png", image_png, "image/png")},
                timeout=TIMEOUT_S,
            )
        check_status(response, "the image edit API")
        try:
            items = response.json()["data"]
            return [base64.b64decode(item["b64_json"]) for item in items]
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderError(f"image edit API sent an unexpected body ({type(exc).__name__})") from None


"""Adapter for a generative image-edit API (OpenAI's /v1/images/edits), used only when a key is set.

Environment: MEDIAMILL_OPENAI_API_KEY (or OPENAI_API_KEY), MEDIAMILL_OPENAI_BASE_URL (any server
speaking that API; default https://api.openai.com/v1), MEDIAMILL_OPENAI_IMAGE_MODEL (gpt-image-1).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from mediamill.errors import BadInput, ProviderError

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
    def from_env(cls) -> OpenAIImages | None:
        key = os.environ.get("MEDIAMILL_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY")
        if not key:
            return None
        return cls(api_key=key, base_url=os.environ.get("MEDIAMILL_OPENAI_BASE_URL", DEFAULT_BASE_URL).rstrip("/"),
                   model=os.environ.get("MEDIAMILL_OPENAI_IMAGE_MODEL", DEFAULT_MODEL))

    def edit(self, image_png: bytes, prompt: str, count: int) -> list[bytes]:
        """`count` edited versions of the image, as encoded image bytes."""
        import httpx

        try:
            response = httpx.post(
                f"{self.base_url}/images/edits",
                headers={"Authorization": f"Bearer {self.api_key}"},
                data={"model": self.model, "prompt": prompt, "n": str(count)},
                files={"image": ("image.png", image_png, "image/png")},
                timeout=TIMEOUT_S,
            )
        except httpx.HTTPError as exc:
            raise ProviderError(f"image edit API unreachable: {exc}") from None
        if response.status_code == 400:
            raise BadInput(f"the image edit API refused the request: {_message(response)}", field="params")
        if response.status_code >= 300:
            raise ProviderError(f"image edit API answered {response.status_code}: {_message(response)}")
        try:
            items = response.json()["data"]
            return [base64.b64decode(item["b64_json"]) for item in items]
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderError(f"image edit API sent an unexpected body ({type(exc).__name__})") from None


def _message(response) -> str:
    try:
        return str(response.json()["error"]["message"])[:300]
    except (ValueError, KeyError, TypeError):
        return response.text[:300]

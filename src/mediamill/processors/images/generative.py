"""Adapter for OpenAI's image API: /v1/images/edits (image.enhance) and /v1/images/generations
(image.generate with engine=openai), used only when a key is set.

Settings (RuntimeSettings): MEDIAMILL_OPENAI_API_KEY (or OPENAI_API_KEY), MEDIAMILL_OPENAI_BASE_URL
(or OPENAI_BASE_URL: any server speaking that API; default https://api.openai.com/v1),
MEDIAMILL_OPENAI_IMAGE_MODEL (gpt-image-1). HTTP failures are translated by providers.http.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import httpx

from mediamill.errors import BadInput, ProviderError
from mediamill.providers.http import check_status, provider_http_errors
from mediamill.settings import runtime_settings

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-image-1"
TIMEOUT_S = 180.0
# The error codes OpenAI answers (HTTP 400) when its safety system refuses a prompt.
REFUSAL_CODES = frozenset({"content_policy_violation", "moderation_blocked"})
# Output sizes gpt-image-1 accepts; a request takes the one nearest its aspect ratio.
GENERATION_SIZES = ((1024, 1024), (1536, 1024), (1024, 1536))
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


    def generate(self, prompt: str, width: int, height: int) -> bytes:
        """One image for the prompt, at the API size nearest width:height (encoded bytes)."""
        size = min(GENERATION_SIZES, key=lambda wh: abs(wh[0] / wh[1] - width / height))
        with provider_http_errors("the image generation API", TIMEOUT_S):
            response = httpx.post(
                f"{self.base_url}/images/generations",
                headers={"Authorization": f"Bearer {self.api_key}"},
                json={"model": self.model, "prompt": prompt, "n": 1, "size": f"{size[0]}x{size[1]}"},
                timeout=TIMEOUT_S,
            )
        _check_refusal(response)
        check_status(response, "the image generation API")
        try:
            return base64.b64decode(response.json()["data"][0]["b64_json"])
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise ProviderError(f"image generation API sent an unexpected body ({type(exc).__name__})") from None


def _check_refusal(response: httpx.Response) -> None:
    """A content-policy refusal is about the prompt: BadInput naming it (a retry cannot help)."""
    if response.status_code != 400:
        return
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return
    if isinstance(error, dict) and error.get("code") in REFUSAL_CODES:
        raise BadInput(f"params.prompt: the image generation API refused the prompt ({error.get('code')}): "
                       f"{str(error.get('message', ''))[:300]}", field="params.prompt")

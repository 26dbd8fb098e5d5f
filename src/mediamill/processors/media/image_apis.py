"""Image generation APIs beside OpenAI's (processors/images/generative.py): Google's Imagen through the
Gemini API, Stability AI's Stable Image, and a local AUTOMATIC1111 web UI. Each turns (prompt, width,
height) into encoded image bytes, or a mediamill error:

    HTTP failures (429 with Retry-After, 5xx, 401/403/404, other 4xx)  -> providers.http's table
    a content-policy refusal (the prompt or the image was filtered)    -> BadInput on params.prompt

Each is configured in RuntimeSettings (keys and URLs, read when used) and made only when set.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Protocol

import httpx

from mediamill.errors import BadInput, ProviderError
from mediamill.providers.http import check_status, error_text, json_object, provider_http_errors
from mediamill.settings import RuntimeSettings

TIMEOUT_S = 180.0
# Aspect ratios each API accepts; a request takes the one nearest the preset's (then fitted to it).
IMAGEN_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")
STABILITY_RATIOS = ("21:9", "16:9", "3:2", "5:4", "1:1", "4:5", "2:3", "9:16", "9:21")
# AUTOMATIC1111 renders at the size asked: Stable Diffusion models are trained near 1024 px (SDXL) and
# want sides in multiples of 64, so the long side is at most this and both are rounded to 64.
A1111_LONG_SIDE = 1024
A1111_STEPS = 25  # the web UI's own default is 20; 25 is its documented sweet spot for DPM++ samplers


class ImageAPI(Protocol):
    model: str

    def generate(self, prompt: str, width: int, height: int) -> bytes: ...


def nearest_ratio(ratios: tuple[str, ...], width: int, height: int) -> str:
    def value(ratio: str) -> float:
        w, h = ratio.split(":")
        return int(w) / int(h)

    return min(ratios, key=lambda r: abs(value(r) - width / height))


def _refused(api: str, reason: str) -> BadInput:
    return BadInput(f"params.prompt: {api} refused the prompt ({reason[:300]})", field="params.prompt")


def _decoded(api: str, b64: object) -> bytes:
    try:
        return base64.b64decode(str(b64), validate=True)
    except (ValueError, TypeError):
        raise ProviderError(f"{api} sent an image that is not base64") from None


@dataclass(frozen=True)
class Imagen:
    """POST {base}/v1beta/models/{model}:predict with x-goog-api-key; answers predictions[].bytesBase64Encoded."""

    api_key: str
    base_url: str = "https://generativelanguage.googleapis.com"
    model: str = "imagen-4.0-generate-001"
    name = "the Imagen API"

    def generate(self, prompt: str, width: int, height: int) -> bytes:
        body = {"instances": [{"prompt": prompt}],
                "parameters": {"sampleCount": 1, "aspectRatio": nearest_ratio(IMAGEN_RATIOS, width, height),
                               "includeRaiReason": True}}
        with provider_http_errors(self.name, TIMEOUT_S):
            response = httpx.post(f"{self.base_url}/v1beta/models/{self.model}:predict", json=body,
                                  headers={"x-goog-api-key": self.api_key}, timeout=TIMEOUT_S)
        said = error_text(response).lower() if response.status_code == 400 else ""
        if any(cue in said for cue in ("safety", "responsible ai", "sensitive words")):
            raise _refused(self.name, error_text(response))  # a prompt its safety filter blocks outright
        check_status(response, self.name)
        predictions = json_object(response, self.name).get("predictions") or []
        images = [p for p in predictions if isinstance(p, dict) and p.get("bytesBase64Encoded")]
        if images:
            return _decoded(self.name, images[0]["bytesBase64Encoded"])
        reasons = [p.get("raiFilteredReason") for p in predictions if isinstance(p, dict) and p.get("raiFilteredReason")]
        # Every image filtered: with includeRaiReason a prediction says why; without, the body is empty.
        raise _refused(self.name, reasons[0] if reasons else "no image returned: all were filtered")


@dataclass(frozen=True)
class Stability:
    """POST {base}/v2beta/stable-image/generate/{model} (multipart), Accept: application/json; answers
    {image (base64), finish_reason, seed}. model: core, ultra, or sd3 (then sd3.5-large etc. via sd3_model)."""

    api_key: str
    base_url: str = "https://api.stability.ai"
    model: str = "core"
    name = "the Stability API"

    def generate(self, prompt: str, width: int, height: int) -> bytes:
        endpoint, fields = self.model, {"prompt": prompt, "output_format": "png",
                                        "aspect_ratio": nearest_ratio(STABILITY_RATIOS, width, height)}
        if self.model.startswith("sd3"):  # the sd3 endpoint takes the model (sd3.5-large...) as a field
            endpoint, fields["model"] = "sd3", self.model
        with provider_http_errors(self.name, TIMEOUT_S):
            response = httpx.post(f"{self.base_url}/v2beta/stable-image/generate/{endpoint}",
                                  headers={"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"},
                                  files={key: (None, value) for key, value in fields.items()}, timeout=TIMEOUT_S)
        if response.status_code == 403:
            try:
                moderated = response.json().get("name") == "content_moderation"
            except (ValueError, AttributeError):
                moderated = False
            if moderated:
                raise _refused(self.name, error_text(response))
        check_status(response, self.name)
        data = json_object(response, self.name)
        if data.get("finish_reason") == "CONTENT_FILTERED":
            raise _refused(self.name, "finish_reason CONTENT_FILTERED: the image was filtered")
        if not data.get("image"):
            raise ProviderError(f"{self.name} answered without an image (finish_reason {data.get('finish_reason')})")
        return _decoded(self.name, data["image"])


@dataclass(frozen=True)
class Automatic1111:
    """A local Stable Diffusion web UI started with --api: POST {url}/sdapi/v1/txt2img; answers images[] (base64).
    It has no content policy of its own (none to translate); its errors go through the same table."""

    url: str
    auth: tuple[str, str] | None = None  # --api-auth user:password
    model: str = "automatic1111"
    name = "the AUTOMATIC1111 API"

    def size_for(self, width: int, height: int) -> tuple[int, int]:
        scale = min(1.0, A1111_LONG_SIDE / max(width, height))
        return tuple(max(64, round(side * scale / 64) * 64) for side in (width, height))  # type: ignore[return-value]

    def generate(self, prompt: str, width: int, height: int) -> bytes:
        w, h = self.size_for(width, height)
        body = {"prompt": prompt, "negative_prompt": "text, watermark, logo", "width": w, "height": h,
                "steps": A1111_STEPS, "batch_size": 1, "n_iter": 1}
        with provider_http_errors(self.name, TIMEOUT_S):
            response = httpx.post(f"{self.url}/sdapi/v1/txt2img", json=body, auth=self.auth, timeout=TIMEOUT_S)
        check_status(response, self.name)
        images = json_object(response, self.name).get("images") or []
        if not images:
            raise ProviderError(f"{self.name} answered without an image")
        return _decoded(self.name, images[0])


ENGINES = ("imagen", "stability", "automatic1111")
NEEDS = {"imagen": "MEDIAMILL_GEMINI_API_KEY (or GEMINI_API_KEY)",
         "stability": "MEDIAMILL_STABILITY_API_KEY (or STABILITY_API_KEY)",
         "automatic1111": "MEDIAMILL_A1111_URL"}


def image_api(engine: str, config: RuntimeSettings) -> ImageAPI | None:
    """The configured adapter for `engine`, or None when its key or URL is not set."""
    if engine == "imagen" and config.gemini_api_key:
        return Imagen(config.gemini_api_key, (config.gemini_base_url or Imagen.base_url).rstrip("/"),
                      config.imagen_model)
    if engine == "stability" and config.stability_api_key:
        return Stability(config.stability_api_key, (config.stability_base_url or Stability.base_url).rstrip("/"),
                         config.stability_model)
    if engine == "automatic1111" and config.a1111_url:
        user, _, password = (config.a1111_auth or "").partition(":")
        return Automatic1111(config.a1111_url.rstrip("/"), (user, password) if user else None)
    return None

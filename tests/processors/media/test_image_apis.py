"""image.generate's provider engines (imagen, stability, automatic1111), each against a local server that
speaks its documented API: the image fitted to the preset, the request's shape, 429 with Retry-After,
a timeout, a content-policy refusal, a bad key, and a missing configuration."""

from __future__ import annotations

import base64
import contextlib
import http.server
import io
import json
import re
import threading
import time

import pytest
from PIL import Image

from mediamill.errors import BadInput, ProviderError, ProviderRefused
from mediamill.testing import call_task

GREEN = (10, 200, 10)
# The pixel sizes each API renders an aspect ratio at (Imagen's and Stability's documented outputs).
RATIO_SIZES = {"1:1": (1024, 1024), "16:9": (1408, 768), "9:16": (768, 1408), "4:3": (1280, 896),
               "3:4": (896, 1280), "21:9": (1536, 640), "3:2": (1216, 832), "2:3": (832, 1216),
               "5:4": (1152, 896), "4:5": (896, 1152), "9:21": (640, 1536)}


def _png(width: int, height: int) -> str:
    out = io.BytesIO()
    Image.new("RGB", (width, height), GREEN).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def _form(body: bytes) -> dict[str, str]:
    """The fields of a multipart/form-data body (text fields only, as Stability's API takes them)."""
    return {m.group(1): m.group(2) for m in re.finditer(r'name="([^"]+)"\r\n\r\n(.*?)\r\n--', body.decode(), re.S)}


class _API(http.server.BaseHTTPRequestHandler):
    """Imagen (POST /v1beta/models/M:predict), Stability (POST /v2beta/stable-image/generate/E) and
    AUTOMATIC1111 (POST /sdapi/v1/txt2img); `server.answer`: ok, slow, 429, 401, refusal, 422."""

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        api = ("imagen" if ":predict" in self.path else "stability" if "/stable-image/" in self.path
               else "automatic1111")
        fields = _form(body) if api == "stability" else json.loads(body)
        self.server.calls.append({"api": api, "path": self.path, "headers": dict(self.headers), "fields": fields})
        answer = self.server.answer
        if answer == "slow":
            time.sleep(3)
        status, headers, payload = 200, {}, None
        if answer == "429":
            status, headers = 429, {"Retry-After": "7"}
            payload = ({"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).",
                                  "status": "RESOURCE_EXHAUSTED"}} if api == "imagen" else
                       {"name": "rate_limit_exceeded", "errors": ["You have exceeded the rate limit"]}
                       if api == "stability" else {"detail": "Too many requests"})
        elif answer == "401":
            status = 401
            payload = {"error": {"code": 401, "message": "API key not valid.", "status": "UNAUTHENTICATED"}}
        elif answer == "422":
            status, payload = 422, {"detail": [{"loc": ["body", "width"], "msg": "value is not a valid integer"}]}
        elif answer == "refusal" and api == "imagen":
            payload = {"predictions": [{"raiFilteredReason": "Your current safety filter threshold filtered out "
                                                             "the generated image."}]}
        elif answer == "refusal" and api == "stability":
            status = 403
            payload = {"id": "a1b2", "name": "content_moderation",
                       "errors": ["Your request was flagged by our content moderation system."]}
        elif api == "imagen":
            payload = {"predictions": [{"mimeType": "image/png", "bytesBase64Encoded":
                                        _png(*RATIO_SIZES[fields["parameters"]["aspectRatio"]])}]}
        elif api == "stability":
            payload = {"image": _png(*RATIO_SIZES[fields["aspect_ratio"]]), "finish_reason": "SUCCESS", "seed": 42}
        else:
            payload = {"images": [_png(fields["width"], fields["height"])], "parameters": fields, "info": "{}"}
        data = json.dumps(payload).encode()
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", "Content-Length": str(len(data)), **headers}.items():
            self.send_header(key, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client may have timed out
            self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def apis(monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _API)
    server.calls, server.answer = [], "ok"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("MEDIAMILL_GEMINI_API_KEY", "gk-test")
    monkeypatch.setenv("MEDIAMILL_GEMINI_BASE_URL", base)
    monkeypatch.setenv("MEDIAMILL_STABILITY_API_KEY", "sk-stab")
    monkeypatch.setenv("MEDIAMILL_STABILITY_BASE_URL", base)
    monkeypatch.setenv("MEDIAMILL_A1111_URL", base + "/")
    monkeypatch.setenv("MEDIAMILL_A1111_AUTH", "ana:s3cret")
    yield server
    server.shutdown()
    server.server_close()


def _image(ctx, result) -> Image.Image:
    return Image.open(io.BytesIO(ctx.path(result["image"]["artifact"]).read_bytes())).convert("RGB")


ENGINES = ("imagen", "stability", "automatic1111")


@pytest.mark.parametrize("engine", ENGINES)
def test_each_engine_fits_its_image_to_the_preset(settings, apis, engine):
    params = {"prompt": "A mug on a sunny table", "preset": "banner", "engine": engine,
              "brand": {"palette": {"primary": "#2f8f5b"}}}
    result, ctx = call_task(settings, "image.generate", params)
    image = _image(ctx, result)
    assert image.size == (1500, 500) and image.getpixel((750, 250)) == GREEN
    assert result["engine"] == engine and result["prompt"] == params["prompt"]
    metadata = ctx.store.stat(result["image"]["artifact"]).metadata
    assert metadata["engine"] == engine and metadata["prompt"] == params["prompt"]
    call = apis.calls[0]
    headers = {k.lower(): v for k, v in call["headers"].items()}
    if engine == "imagen":
        assert call["path"] == "/v1beta/models/imagen-4.0-generate-001:predict"
        assert headers["x-goog-api-key"] == "gk-test" and result["model"] == "imagen-4.0-generate-001"
        assert call["fields"]["parameters"] == {"sampleCount": 1, "aspectRatio": "16:9", "includeRaiReason": True}
        prompt = call["fields"]["instances"][0]["prompt"]
    elif engine == "stability":
        assert call["path"] == "/v2beta/stable-image/generate/core" and result["model"] == "core"
        assert headers["authorization"] == "Bearer sk-stab" and headers["accept"] == "application/json"
        assert headers["content-type"].startswith("multipart/form-data")
        assert call["fields"]["aspect_ratio"] == "21:9" and call["fields"]["output_format"] == "png"
        prompt = call["fields"]["prompt"]
    else:
        assert call["path"] == "/sdapi/v1/txt2img" and result["model"] == "automatic1111"
        assert headers["authorization"] == "Basic " + base64.b64encode(b"ana:s3cret").decode()
        assert (call["fields"]["width"], call["fields"]["height"]) == (1024, 320)  # 3:1, sides in 64s
        prompt = call["fields"]["prompt"]
    assert prompt.startswith("A mug on a sunny table") and "#2f8f5b" in prompt


def test_stability_sd3_models_go_to_the_sd3_endpoint(settings, apis, monkeypatch):
    monkeypatch.setenv("MEDIAMILL_STABILITY_MODEL", "sd3.5-large")
    result, ctx = call_task(settings, "image.thumbnail_art", {"prompt": "Mug review", "engine": "stability"})
    assert _image(ctx, result).size == (640, 360) and result["model"] == "sd3.5-large"
    assert apis.calls[0]["path"] == "/v2beta/stable-image/generate/sd3"
    assert apis.calls[0]["fields"]["model"] == "sd3.5-large" and apis.calls[0]["fields"]["aspect_ratio"] == "16:9"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_rate_limit_is_retried_after_the_providers_wait(settings, apis, engine):
    apis.answer = "429"
    with pytest.raises(ProviderError, match="429") as caught:
        call_task(settings, "image.generate", {"prompt": "a", "engine": engine})
    assert caught.value.retryable and caught.value.retry_after_s == 7


@pytest.mark.parametrize("engine", ENGINES)
def test_a_slow_provider_times_out_and_is_retried(settings, apis, engine, monkeypatch):
    from mediamill.processors.media import image_apis

    apis.answer = "slow"
    monkeypatch.setattr(image_apis, "TIMEOUT_S", 0.5)
    with pytest.raises(ProviderError, match="did not answer within 0.5 s") as caught:
        call_task(settings, "image.generate", {"prompt": "a", "engine": engine})
    assert caught.value.retryable and not isinstance(caught.value, ProviderRefused)


@pytest.mark.parametrize(("engine", "said"), [
    ("imagen", "safety filter threshold filtered out"),
    ("stability", "flagged by our content moderation system"),
])
def test_a_content_policy_refusal_is_bad_input_on_the_prompt(settings, apis, engine, said):
    apis.answer = "refusal"
    with pytest.raises(BadInput, match=f"^params.prompt: the .* refused the prompt .*{said}") as caught:
        call_task(settings, "image.generate", {"prompt": "a", "engine": engine})
    assert not caught.value.retryable and not isinstance(caught.value, ProviderRefused)


def test_automatic1111_validation_errors_are_bad_input(settings, apis):
    apis.answer = "422"
    with pytest.raises(BadInput, match="AUTOMATIC1111 API answered HTTP 422"):
        call_task(settings, "image.generate", {"prompt": "a", "engine": "automatic1111"})


@pytest.mark.parametrize("engine", ("imagen", "stability"))
def test_a_bad_key_is_refused_not_retried(settings, apis, engine):
    apis.answer = "401"
    with pytest.raises(ProviderRefused, match="HTTP 401"):
        call_task(settings, "image.generate", {"prompt": "a", "engine": engine})


@pytest.mark.parametrize(("engine", "variable"), [
    ("imagen", "MEDIAMILL_GEMINI_API_KEY"), ("stability", "MEDIAMILL_STABILITY_API_KEY"),
    ("automatic1111", "MEDIAMILL_A1111_URL")])
def test_an_unconfigured_engine_says_what_to_set(settings, apis, monkeypatch, engine, variable):
    monkeypatch.delenv(variable)
    with pytest.raises(BadInput, match=f"^params.engine: {engine} needs {variable}"):
        call_task(settings, "image.generate", {"prompt": "a", "engine": engine})
    assert apis.calls == []


def test_provider_engines_do_not_place_pictures(settings, apis):
    with pytest.raises(BadInput, match="^params.image: the stability engine does not place pictures"):
        call_task(settings, "image.generate", {"prompt": "a", "engine": "stability"}, [b"\x89PNG"])

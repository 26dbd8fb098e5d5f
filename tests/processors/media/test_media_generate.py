"""image.generate / image.thumbnail_art: composed cards in real Chromium, at each preset's size, with
hostile prompts kept as text, bad input named, a picture placed, and jobs through the `media` queue."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediamill.errors import BadInput
from mediamill.processors.html import browser
from mediamill.processors.media.cards import PRESETS, split_prompt
from mediamill.testing import call_task

pytestmark = pytest.mark.skipif(not Path(browser.chromium_executable()).exists(),
                                reason="Chromium is not installed (scripts/setup.sh installs it)")

GREEN = (0, 255, 0)


def _png(ctx, result) -> Image.Image:
    return Image.open(io.BytesIO(ctx.path(result["image"]["artifact"]).read_bytes())).convert("RGB")


def _share_like(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 24) -> float:
    pixels = np.asarray(image).astype(int)
    return float((np.abs(pixels - np.array(colour)).max(axis=2) <= tolerance).mean())


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_each_preset_renders_at_its_size_in_the_brand_colour(settings, preset):
    params = {"prompt": "Summer sale on handmade mugs, 20% off this week", "preset": preset,
              "brand": {"name": "Clayworks", "palette": {"primary": "#2f8f5b"}}}
    result, ctx = call_task(settings, "image.generate", params)
    image = _png(ctx, result)
    expected = (PRESETS[preset].width, PRESETS[preset].height)
    assert image.size == expected and (result["width"], result["height"]) == expected
    assert _share_like(image, (0x2F, 0x8F, 0x5B)) > 0.5  # the bold style fills the card with the primary colour
    assert result["engine"] == "html-card" and result["prompt"] == params["prompt"]
    assert result["headline"] == "Summer sale on handmade mugs"
    metadata = ctx.store.stat(result["image"]["artifact"]).metadata
    assert metadata["engine"] == "html-card" and metadata["prompt"] == params["prompt"]
    assert metadata["preset"] == preset and metadata["kind"] == "image"


def test_styles_use_the_palette_differently(settings):
    palette = {"primary": "#112299", "secondary": "#ee8800", "background": "#fafaf0", "text": "#101010"}
    shares = {}
    for style in ("bold", "minimal", "gradient", "dark"):
        result, ctx = call_task(settings, "image.generate",
                                {"prompt": "Launch day", "style": style, "brand": {"palette": palette}})
        image = _png(ctx, result)
        shares[style] = (_share_like(image, (0x11, 0x22, 0x99)), _share_like(image, (0xFA, 0xFA, 0xF0)),
                         float(np.asarray(image).mean()))
    assert shares["bold"][0] > 0.6 and shares["minimal"][1] > 0.6
    # gradient: primary only near one corner; dark: neither colour as background, a dark card
    assert shares["gradient"][0] < 0.3 and shares["dark"][0] < 0.01 and shares["dark"][2] < 60


@pytest.mark.parametrize("hostile", [
    '<div style="position:fixed;inset:0;background:#00ff00"></div>',
    '</h1><style>body{background:#00ff00 !important}</style>',
    '<img src=x onerror="document.body.style.background=\'#00ff00\'">',
])
def test_a_hostile_prompt_stays_text(settings, hostile):
    from mediamill.processors.html.templating import load_shipped, render_template
    from mediamill.processors.media.cards import CardParams, card_data
    from mediamill.testing import make_context

    params = {"prompt": hostile, "style": "minimal", "headline": hostile, "brand": {"name": hostile}}
    result, ctx = call_task(settings, "image.generate", params)
    assert _share_like(_png(ctx, result), GREEN) < 0.001  # had any of it run, the card would be green
    assert result["prompt"] == hostile  # recorded as given
    source, _ = load_shipped("media-card")
    page = render_template(source, card_data(make_context(settings, "image.generate", []),
                                             CardParams.model_validate(params)))
    assert "#00ff00" in page and "<style>body" not in page and "<div style" not in page and "<img src=x" not in page


@pytest.mark.parametrize(("params", "field"), [
    ({"prompt": "   "}, "params.prompt"),
    ({"prompt": "x" * 1001}, "params.prompt"),
    ({}, "params.prompt"),
    ({"prompt": "a", "style": "watercolour"}, "params.style"),
    ({"prompt": "a", "preset": "poster"}, "params.preset"),
    ({"prompt": "a", "brand": {"palette": {"primary": "red"}}}, "params.brand.palette.primary"),
    ({"prompt": "a", "brand": {"font": 'Arial"; } body { background: red'}}, "params.brand.font"),
    ({"prompt": "a", "headline": "h" * 141}, "params.headline"),
])
def test_bad_params_name_the_field(settings, params, field):
    with pytest.raises(BadInput, match=f"^{field}: "):
        call_task(settings, "image.generate", params)


def test_a_thumbnail_wider_than_its_preset_is_bad_input(settings):
    with pytest.raises(BadInput, match="wider than the youtube-thumbnail preset"):
        call_task(settings, "image.thumbnail_art", {"prompt": "a", "width": 1400})


def test_an_input_that_is_not_an_image_is_bad_input(settings):
    with pytest.raises(BadInput, match=r"^inputs: not a readable image \(no image format recognised\)") as caught:
        call_task(settings, "image.generate", {"prompt": "a"}, [b"not a picture"])
    assert caught.value.field == "inputs"


def test_the_input_picture_is_placed_on_the_card(settings, tmp_path):
    picture = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    picture.paste((230, 20, 20, 255), (100, 100, 300, 300))  # a red square on transparency, like a cutout
    path = tmp_path / "cutout.png"
    picture.save(path)
    result, ctx = call_task(settings, "image.generate", {"prompt": "New red box", "style": "minimal"}, [path])
    image = _png(ctx, result)
    assert _share_like(image, (230, 20, 20)) > 0.02
    assert ctx.store.stat(result["image"]["artifact"]).source == ctx.inputs[0].id
    plain, plain_ctx = call_task(settings, "image.generate", {"prompt": "New red box", "style": "minimal"})
    assert _share_like(_png(plain_ctx, plain), (230, 20, 20)) == 0


def test_thumbnail_art_is_a_small_preview(settings):
    result, ctx = call_task(settings, "image.thumbnail_art", {"prompt": "I tried 30 mugs", "style": "dark"})
    assert _png(ctx, result).size == (640, 360) and result["kind"] == "thumbnail"
    assert result["preset"] == "youtube-thumbnail" and result["engine"] == "html-card"


def test_the_prompt_splits_into_headline_and_body():
    assert split_prompt("Summer sale, 20% off") == ("Summer sale", "20% off")
    assert split_prompt("One two three") == ("One two three", "")
    head, rest = split_prompt(" ".join(f"w{i}" for i in range(14)))
    assert head == "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9…" and rest == "w10 w11 w12 w13"


@pytest.mark.slow
async def test_generate_and_thumbnail_through_the_media_queue(settings, client, worker, tmp_path):
    picture = tmp_path / "product.png"
    Image.new("RGB", (300, 300), (230, 20, 20)).save(picture)
    async with worker(["media"]):
        card = await client.submit("image.generate", {"prompt": "Meet the red box", "preset": "story"}, [picture])
        thumb = await client.submit("image.thumbnail_art", {"prompt": "Red box review", "width": 320})
        assert card.queue == "media"
        made, small = await card.result(180), await thumb.result(180)
    assert (made["width"], made["height"]) == (1080, 1920) and made["engine"] == "html-card"
    assert (small["width"], small["height"]) == (320, 180) and small["prompt"] == "Red box review"
    saved = client.save_artifact(made["image"]["artifact"], tmp_path / "card.png")
    assert Image.open(saved).size == (1080, 1920)


def test_openai_engine_fits_the_providers_image_to_the_preset(settings, images_api):
    params = {"prompt": "A mug on a sunny table", "preset": "banner", "engine": "openai",
              "brand": {"palette": {"primary": "#2f8f5b"}}}
    result, ctx = call_task(settings, "image.generate", params)
    assert _png(ctx, result).size == (1500, 500) and _share_like(_png(ctx, result), (10, 200, 10)) > 0.99
    assert result["engine"] == "openai" and result["model"] == "gpt-image-1" and result["prompt"] == params["prompt"]
    call = images_api.calls[0]
    assert call["path"] == "/v1/images/generations" and call["auth"] == "Bearer sk-test"
    assert call["json"]["size"] == "1536x1024" and call["json"]["prompt"].startswith("A mug on a sunny table")
    assert "#2f8f5b" in call["json"]["prompt"]
    thumb, thumb_ctx = call_task(settings, "image.thumbnail_art", {"prompt": "Mug review", "engine": "openai"})
    assert _png(thumb_ctx, thumb).size == (640, 360)


def test_openai_engine_errors(settings, images_api, monkeypatch):
    from mediamill.errors import ProviderError, ProviderRefused
    from mediamill.processors.images import generative

    images_api.answer = "429"
    with pytest.raises(ProviderError, match="429") as caught:  # retried by the queue, after Retry-After
        call_task(settings, "image.generate", {"prompt": "a", "engine": "openai"})
    assert caught.value.retryable and caught.value.retry_after_s == 7
    images_api.answer = "refusal"
    with pytest.raises(BadInput, match="^params.prompt: the image generation API refused the prompt"):
        call_task(settings, "image.generate", {"prompt": "a", "engine": "openai"})
    images_api.answer = "slow"
    monkeypatch.setattr(generative, "TIMEOUT_S", 0.5)
    with pytest.raises(ProviderError, match="did not answer within 0.5 s") as caught:
        call_task(settings, "image.generate", {"prompt": "a", "engine": "openai"})
    assert caught.value.retryable and not isinstance(caught.value, ProviderRefused)
    with pytest.raises(BadInput, match="^params.image: "):
        call_task(settings, "image.generate", {"prompt": "a", "engine": "openai"}, [b"\x89PNG"])
    monkeypatch.delenv("MEDIAMILL_OPENAI_API_KEY")
    with pytest.raises(BadInput, match="^params.engine: openai needs MEDIAMILL_OPENAI_API_KEY"):
        call_task(settings, "image.generate", {"prompt": "a", "engine": "openai"})


@pytest.mark.slow
async def test_the_content_pack_pipeline_makes_its_card_and_thumbnail(settings, worker):
    from mediamill.pipelines.catalog import get_pipeline
    from mediamill.pipelines.coordinator import Coordinator

    coordinator = Coordinator(settings)
    try:
        async with worker(["research", "content", "media"]):
            run = await coordinator.start(get_pipeline(settings, "content-pack"), {},
                                          {"idea": "Why reusable mugs beat paper cups", "brand": {"name": "Trail Co"},
                                           "card_style": "dark"})
            status = await coordinator.wait(run.id, timeout=300)
    finally:
        await coordinator.close()
    assert status.state == "completed", status.error
    card, content = status.outputs["card"], status.outputs["content"]
    assert card["engine"] == "html-card" and card["style"] == "dark" and card["prompt"] == content["title"]
    assert (card["width"], card["height"]) == (1080, 1080) and card["image"]["name"] == "social-card.png"
    thumbnail = status.outputs["thumbnail"]
    assert thumbnail["engine"] == "html-card" and thumbnail["kind"] == "thumbnail"
    assert thumbnail["preset"] == "youtube-thumbnail" and thumbnail["prompt"] == content["title"]
    assert thumbnail["headline"] and content["title"].startswith(thumbnail["headline"].rstrip(".!?:;,"))
    assert (thumbnail["width"], thumbnail["height"]) == (640, 360) and thumbnail["image"]["name"] == "thumbnail.png"

"""image.enhance (offline recipes, clean background, 2x upscale, generative adapter) and image.placeholder."""


import numpy as np
import pytest
from assets_media import exif_jpeg, textured

from mediamill.errors import BadInput, ProviderError
from mediamill.testing import call_task


@pytest.fixture(scope="module")
def dull_product(tmp_path_factory):
    """A flat, bluish, noisy product shot: a red box on a grey-blue backdrop."""
    import pyvips

    rng = np.random.default_rng(5)
    pixels = np.zeros((300, 400, 3), np.float32) + (120, 125, 150)
    pixels[80:230, 130:270] = (120, 60, 70)
    pixels += rng.normal(0, 5, pixels.shape)
    path = tmp_path_factory.mktemp("enhance") / "product.jpg"
    pyvips.Image.new_from_array(np.clip(pixels, 0, 255).astype(np.uint8), interpretation="srgb").jpegsave(
        str(path), Q=92)
    return path


def _pixels(ctx, ref, tmp_path):
    import pyvips

    path = ctx.store.copy_to(ref["artifact"], tmp_path / "v.bin")
    return pyvips.Image.new_from_file(str(path)).numpy().astype(np.float32)


def test_count_versions_each_linked_and_different(settings, dull_product, tmp_path):
    import pyvips

    result, ctx = call_task(settings, "image.enhance", {"count": 3, "generative": "off"}, [dull_product])
    assert result["mode"] == "offline" and len(result["versions"]) == 3
    assert [v["recipe"] for v in result["versions"]] == ["natural", "vivid", "crisp"]
    original = pyvips.Image.new_from_file(str(dull_product)).numpy().astype(np.float32)
    outputs = []
    for version in result["versions"]:
        assert ctx.store.stat(version["artifact"]["artifact"]).source == ctx.inputs[0].id
        out = _pixels(ctx, version["artifact"], tmp_path)
        assert out.shape == original.shape
        assert out.mean(axis=2).std() > original.mean(axis=2).std()  # more contrast than the flat original
        outputs.append(out)
    assert np.abs(outputs[0] - outputs[1]).mean() > 3 and np.abs(outputs[1] - outputs[2]).mean() > 3


def _image(pixels):
    import pyvips

    return pyvips.Image.new_from_array(np.clip(pixels, 0, 255).astype(np.uint8), interpretation="srgb")


def _luma(image):
    return image.numpy().astype(np.float32)[..., :3].mean(axis=2)


def test_each_operation_does_what_it_says():
    from mediamill.processors.images import operations as op

    rng = np.random.default_rng(9)
    flat = np.zeros((120, 160, 3), np.float32) + (110, 120, 160)  # blue cast, low contrast
    flat[40:80, 50:110] = (140, 150, 190)
    noisy = flat + rng.normal(0, 6, flat.shape)
    source = _image(noisy)
    # white balance: channel means move together
    balanced = op.white_balance(source).numpy().astype(np.float32)
    means = balanced.reshape(-1, 3).mean(axis=0)
    assert np.ptp(means) < np.ptp(noisy.reshape(-1, 3).mean(axis=0)) / 3
    # auto levels: the luminance range widens
    assert np.ptp(np.percentile(_luma(op.auto_levels(source)), [1, 99])) > 1.5 * np.ptp(
        np.percentile(_luma(source), [1, 99]))
    # denoise: a flat patch gets smoother
    assert _luma(op.denoise(source))[5:35, 5:45].std() < 0.7 * _luma(source)[5:35, 5:45].std()
    # sharpen: a blurred edge gets the overshoot of an unsharp mask (dark and bright halos)
    def edge_span(img):
        return np.ptp(_luma(img)[60, 35:65])
    smooth = _image(flat).gaussblur(1.5)
    assert edge_span(op.sharpen(smooth)) > edge_span(smooth) + 4
    # local contrast: faint texture becomes more visible (higher standard deviation in small blocks)
    y, x = np.mgrid[0:120, 0:160]
    faint = _image(flat + (8 * np.sin(x / 3) * np.cos(y / 4))[..., None])
    def local_std(img):
        luma = _luma(img)
        return np.mean([luma[r:r + 16, c:c + 16].std() for r in range(0, 112, 16) for c in range(0, 160, 16)])
    assert local_std(op.local_contrast(faint)) > 1.2 * local_std(faint)
    # saturate: chroma goes up
    chroma = lambda img: img.colourspace("lch")[1].avg()  # noqa: E731
    assert chroma(op.saturate(_image(flat))) > chroma(_image(flat))
    assert op.upscale(source, 2).width == 320


def test_clean_background_and_upscale(settings, dull_product, tmp_path):
    params = {"count": 1, "clean_background": True, "upscale": True, "generative": "off"}
    result, ctx = call_task(settings, "image.enhance", params, [dull_product])
    version = result["versions"][0]
    assert (version["width"], version["height"]) == (800, 600)
    assert 0.75 < version["background_replaced"] < 0.9  # the box covers ~17% of the picture
    out = _pixels(ctx, version["artifact"], tmp_path)
    assert out[:60, :60].min() > 235  # backdrop is now white
    centre = out[300, 400]
    assert centre[0] > centre[1] + 40  # the red box is still there


def test_transparent_background_forces_png(settings, dull_product, tmp_path):
    params = {"count": 1, "clean_background": True, "background": "transparent", "generative": "off"}
    result, ctx = call_task(settings, "image.enhance", params, [dull_product])
    out = _pixels(ctx, result["versions"][0]["artifact"], tmp_path)
    assert result["versions"][0]["artifact"]["mime"] == "image/png" and out.shape[2] == 4
    assert out[10, 10, 3] < 20 and out[150, 200, 3] > 235


def test_generative_adapter_used_when_key_is_set(settings, dull_product, images_api):
    result, _ = call_task(settings, "image.enhance", {"count": 2, "prompt": "studio light"}, [dull_product])
    assert result["mode"] == "generative" and len(result["versions"]) == 2
    assert (result["versions"][0]["width"], result["versions"][0]["height"]) == (64, 48)
    call = images_api.calls[0]
    assert call["path"] == "/v1/images/edits" and call["auth"] == "Bearer sk-test"
    assert b'name="prompt"' in call["body"] and b"studio light" in call["body"]
    assert b'name="image"; filename="image.png"' in call["body"] and b"\x89PNG" in call["body"]


def test_generative_errors(settings, dull_product, images_api, monkeypatch):
    images_api.answer = "500"
    with pytest.raises(ProviderError, match="500"):  # transient: retried by policy
        call_task(settings, "image.enhance", {}, [dull_product])
    monkeypatch.delenv("MEDIAMILL_OPENAI_API_KEY")
    with pytest.raises(BadInput, match="generative=require"):
        call_task(settings, "image.enhance", {"generative": "require"}, [dull_product])
    result, _ = call_task(settings, "image.enhance", {"count": 1}, [dull_product])  # auto without key: offline
    assert result["mode"] == "offline"


def test_placeholder(settings, dull_product, corpus):
    import blurhash

    result, ctx = call_task(settings, "image.placeholder", {}, [dull_product])
    assert blurhash.is_valid_blurhash(result["blurhash"]) and len(result["blurhash"]) == 4 + 2 * 4 * 3
    dominant = tuple(int(result["dominant_color"][i:i + 2], 16) for i in (1, 3, 5))
    assert all(abs(a - b) < 15 for a, b in zip(dominant, (120, 125, 150), strict=True))
    assert result["preview"].startswith("data:image/webp;base64,")
    assert result["aspect_ratio"] == pytest.approx(4 / 3, abs=0.05)
    assert ctx.store.stat(ctx.inputs[0].id).metadata["blurhash"] == result["blurhash"]
    svg, _ = call_task(settings, "image.placeholder", {}, [corpus["logo.svg"]])
    assert svg["palette"][0]["share"] == pytest.approx(0.5, abs=0.1)
    assert (svg["width"], svg["height"], svg["aspect_ratio"]) == (400, 200, 2.0)


def test_placeholder_reports_the_image_size_not_the_sample(settings, tmp_path):
    # Given a 1000x333 strip (sampled as 64x21, whose ratio is 3.05), the answer is the image's own.
    strip = tmp_path / "strip.png"
    strip.write_bytes(textured(1000, 333).pngsave_buffer())
    result, _ = call_task(settings, "image.placeholder", {}, [strip])
    assert (result["width"], result["height"]) == (1000, 333)
    assert result["aspect_ratio"] == round(1000 / 333, 4)
    rotated, _ = call_task(settings, "image.placeholder", {}, [exif_jpeg(tmp_path / "rotated.jpg")])
    facts, _ = call_task(settings, "asset.inspect", {}, [tmp_path / "rotated.jpg"])
    assert (rotated["width"], rotated["height"]) == (facts["display_width"], facts["display_height"])

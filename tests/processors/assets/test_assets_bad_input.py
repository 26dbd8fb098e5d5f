"""Bad input fails at once with BadInput (one attempt), with a clear message, and never kills the worker."""

import pytest
from assets_media import _vips

from mediamill.errors import BadInput, LimitExceeded
from mediamill.settings import Settings
from mediamill.testing import call_task

CASES = [
    ("empty.jpg", BadInput, "empty"),
    ("truncated.jpg", BadInput, "premature end"),
    ("corrupt.jpg", BadInput, "cannot decode the image"),
    ("strip_1x100000.png", LimitExceeded, "max_dimension"),
    ("bomb.png", LimitExceeded, "max_pixels"),
    ("xxe.svg", BadInput, "DTD or entities"),
]


@pytest.mark.parametrize(("name", "error", "message"), CASES)
def test_thumbnail_refuses(settings, corpus, name, error, message):
    with pytest.raises(error, match=message):
        call_task(settings, "asset.thumbnail", {}, [corpus[name]])


@pytest.mark.parametrize(("name", "error", "message"), [c for c in CASES if c[0] != "strip_1x100000.png"])
def test_inspect_refuses(settings, corpus, name, error, message):
    with pytest.raises(error, match=message):
        call_task(settings, "asset.inspect", {}, [corpus[name]])


@pytest.mark.parametrize("task", ["asset.variants", "image.enhance", "image.placeholder", "image.cutout", "image.upscale",
                                  "image.generate", "image.thumbnail_art"])
@pytest.mark.parametrize("name", ["bomb.png", "truncated.jpg", "empty.jpg"])
def test_other_tasks_refuse(settings, corpus, task, name):
    params = {"prompt": "a card"} if task.startswith(("image.generate", "image.thumbnail")) else {}
    with pytest.raises(BadInput) as caught:
        call_task(settings, task, params, [corpus[name]])
    assert caught.value.field == "inputs"  # refused for the picture, not for the params
    assert "_io." not in str(caught.value)  # no Python object in the message
    if name == "bomb.png":
        assert isinstance(caught.value, LimitExceeded) and "max_pixels" in str(caught.value)


def test_lying_extension_is_judged_by_content(settings, corpus, tmp_path):
    # A PNG named .jpg is fine (its content decides); a text file named .jpg is reported as text.
    renamed = tmp_path / "really-a-png.jpg"
    renamed.write_bytes(corpus["small.png"].read_bytes())
    result, _ = call_task(settings, "asset.thumbnail", {}, [renamed])
    assert result["source_kind"] == "image"
    facts, _ = call_task(settings, "asset.inspect", {}, [corpus["lying.jpg"]])
    assert (facts["kind"], facts["mime"]) == ("text", "text/plain")


def test_pixel_limit_is_configurable(data_dir, corpus):
    strict = Settings(data_dir=data_dir, limits={"max_pixels": 1_000_000})
    with pytest.raises(LimitExceeded, match="1,920,000 pixels, over max_pixels"):
        call_task(strict, "asset.thumbnail", {}, [corpus["photo.jpg"]])


def test_bomb_is_refused_before_decoding(settings, corpus):
    # The bomb declares 10^10 pixels in a 74-byte file: decoding it would need 30 GB.
    assert corpus["bomb.png"].stat().st_size < 100
    with pytest.raises(LimitExceeded, match="10,000,000,000 pixels"):
        call_task(settings, "asset.thumbnail", {}, [corpus["bomb.png"]])


@pytest.mark.slow
async def test_bad_inputs_fail_once_through_a_real_worker(client, worker, corpus):
    async with worker(["thumbnails", "assets"]) as service:
        handles = [await client.submit("asset.thumbnail", {}, [corpus[name]])
                   for name in ("bomb.png", "truncated.jpg", "xxe.svg")]
        handles.append(await client.submit("asset.inspect", {}, [corpus["empty.jpg"]]))
        statuses = [await handle.wait(180) for handle in handles]
        # The worker survived: a good job right after still completes.
        good = await client.submit("asset.thumbnail", {}, [corpus["photo.jpg"]])
        result = await good.result(180)
        assert service.pool.child_pids()
    for status in statuses:
        assert status.state == "failed", status
        assert status.attempts == 1, status
        assert status.error.type in ("BadInput", "LimitExceeded") and not status.error.retryable, status
    assert "max_pixels" in statuses[0].error.message
    assert (result["width"], result["height"]) == (200, 200)


def test_frame_and_duration_limits(data_dir, corpus):
    strict = Settings(data_dir=data_dir, limits={"max_frames": 2, "max_media_duration_s": 1.0})
    with pytest.raises(LimitExceeded, match="3 frames, over max_frames"):
        call_task(strict, "asset.thumbnail", {}, [corpus["animated.gif"]])
    with pytest.raises(LimitExceeded, match="over max_media_duration_s"):
        call_task(strict, "asset.inspect", {}, [corpus["video.mp4"]])
    with pytest.raises(LimitExceeded, match="over max_media_duration_s"):
        call_task(strict, "asset.variants", {"variants": ["480p"]}, [corpus["video.mp4"]])
    with pytest.raises(LimitExceeded, match="over max_media_duration_s"):
        call_task(strict, "asset.thumbnail", {}, [corpus["video.mp4"]])


def test_video_frames_have_their_own_limit(data_dir, corpus):
    # max_frames guards animated images (decoded into memory); a video streams, so only an absurd
    # frame count (duration x fps) is refused, by max_video_frames.
    few_image_frames = Settings(data_dir=data_dir, limits={"max_frames": 2})
    result, _ = call_task(few_image_frames, "asset.variants", {"variants": ["480p"]}, [corpus["video.mp4"]])
    assert result["variants"]
    few_video_frames = Settings(data_dir=data_dir, limits={"max_video_frames": 2})
    with pytest.raises(LimitExceeded, match="frames, over max_video_frames"):
        call_task(few_video_frames, "asset.variants", {"variants": ["480p"]}, [corpus["video.mp4"]])


def test_extreme_strips_are_inspected_and_thumbnailed_not_refused(settings, corpus):
    # Inspection decodes nothing at full size: neither the shape nor a 100,000 px side refuses it.
    facts, _ = call_task(settings, "asset.inspect", {}, [corpus["strip_1x100000.png"]])
    assert (facts["width"], facts["height"]) == (1, 100_000)
    facts, _ = call_task(settings, "asset.inspect", {}, [corpus["strip_10000x3.png"]])
    assert (facts["width"], facts["height"]) == (10_000, 3)
    # A 3333:1 strip is cropped (the default) or letterboxed (crop=none), not refused.
    cropped, _ = call_task(settings, "asset.thumbnail", {}, [corpus["strip_10000x3.png"]])
    assert (cropped["width"], cropped["height"]) == (200, 3)
    boxed, ctx = call_task(settings, "asset.thumbnail", {"crop": "none", "format": "png"}, [corpus["strip_10000x3.png"]])
    assert (boxed["width"], boxed["height"]) == (200, 25)
    pixels = _vips().Image.new_from_buffer(ctx.store.open(boxed["thumbnail"]["artifact"]).read(), "").numpy()
    assert pixels[0, 100].tolist()[:3] == [255, 255, 255] and pixels[12, 100].tolist()[0] < 120
    with pytest.raises(LimitExceeded, match="max_pixels"):  # the pixel limits still apply
        call_task(Settings(data_dir=settings.data_dir, limits={"max_pixels": 20_000}), "asset.thumbnail", {},
                  [corpus["strip_10000x3.png"]])


def test_a_pdf_pdfium_opens_is_inspected_even_when_pypdf_cannot_parse_it(settings, corpus):
    facts, _ = call_task(settings, "asset.inspect", {}, [corpus["pypdf_breaks.pdf"]])
    document = facts["document"]
    assert document["parser"] == "pdfium" and document["pages"] == 1 and document["title"] == "Fallback"
    assert "Recovered by PDFium" in document["text"]
    thumb, _ = call_task(settings, "asset.thumbnail", {}, [corpus["pypdf_breaks.pdf"]])
    assert thumb["source_kind"] == "pdf"

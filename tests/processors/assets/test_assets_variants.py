"""asset.variants: the seed's presets (fit inside, never enlarged), siblings, user presets, video transcodes."""

import pytest

from mediamill.errors import BadInput
from mediamill.testing import call_task


def _open(ctx, ref, tmp_path, name="variant.bin"):
    import pyvips

    return pyvips.Image.new_from_file(str(ctx.store.copy_to(ref["artifact"], tmp_path / name)))


def test_four_presets_fit_inside_and_link_to_the_source(settings, corpus, tmp_path):
    result, ctx = call_task(settings, "asset.variants", {}, [corpus["photo.jpg"]])  # 1600x1200
    sizes = {name: (v["width"], v["height"]) for name, v in result["variants"].items()}
    assert sizes == {"THUMBNAIL": (200, 150), "PREVIEW": (800, 600), "MOBILE": (640, 480),
                     "WEB_OPTIMIZED": (1440, 1080)}
    for name, variant in result["variants"].items():
        artifact = ctx.store.stat(variant["artifact"]["artifact"])
        assert artifact.source == ctx.inputs[0].id and artifact.metadata["variant"] == name
        image = _open(ctx, variant["artifact"], tmp_path)
        assert (image.width, image.height) == sizes[name] and image.get("vips-loader").startswith("jpeg")
    assert result["variants"]["THUMBNAIL"]["quality"] == 80 and result["variants"]["PREVIEW"]["quality"] == 85


def test_never_upscales(settings, corpus):
    result, _ = call_task(settings, "asset.variants", {"variants": ["WEB_OPTIMIZED", "THUMBNAIL"]},
                          [corpus["small.png"]])  # 120x90
    assert (result["variants"]["WEB_OPTIMIZED"]["width"], result["variants"]["WEB_OPTIMIZED"]["height"]) == (120, 90)
    assert set(result["variants"]) == {"WEB_OPTIMIZED", "THUMBNAIL"}


def test_webp_and_avif_siblings(settings, corpus, tmp_path):
    result, ctx = call_task(settings, "asset.variants", {"variants": ["PREVIEW"], "siblings": ["webp", "avif"]},
                            [corpus["photo.jpg"]])
    preview = result["variants"]["PREVIEW"]
    webp, avif = _open(ctx, preview["webp"], tmp_path, "a"), _open(ctx, preview["avif"], tmp_path, "b")
    assert webp.get("vips-loader").startswith("webp") and avif.get("vips-loader").startswith("heif")
    assert (webp.width, webp.height) == (avif.width, avif.height) == (800, 600)
    assert preview["avif"]["mime"] == "image/avif"


def test_user_presets_from_params(settings, corpus, tmp_path):
    params = {"presets": {"SQUARE": {"width": 300, "height": 300, "quality": 70, "format": "png"},
                          "THUMBNAIL": {"width": 100, "height": 100, "quality": 60}}}
    result, ctx = call_task(settings, "asset.variants", params, [corpus["photo.jpg"]])
    assert set(result["variants"]) == {"THUMBNAIL", "PREVIEW", "MOBILE", "WEB_OPTIMIZED", "SQUARE"}
    square = result["variants"]["SQUARE"]
    assert (square["width"], square["height"], square["format"]) == (300, 225, "png")
    assert _open(ctx, square["artifact"], tmp_path).get("vips-loader").startswith("png")
    assert result["variants"]["THUMBNAIL"]["width"] == 100  # user preset overrides the built-in


def test_unknown_preset_is_bad_input(settings, corpus):
    with pytest.raises(BadInput, match="unknown variant"):
        call_task(settings, "asset.variants", {"variants": ["HUGE"]}, [corpus["photo.jpg"]])
    with pytest.raises(BadInput, match="need a video input"):
        call_task(settings, "asset.variants", {"variants": ["720p"]}, [corpus["photo.jpg"]])


def test_video_presets_are_h264_transcodes(settings, tmp_path):
    import av
    from assets_media import write_video

    source = write_video(tmp_path / "hd.mp4", width=1280, height=720, seconds=1.2, black_s=0)
    result, ctx = call_task(settings, "asset.variants", {}, [source])
    assert set(result["variants"]) == {"720p", "480p"}
    for name, height in (("720p", 720), ("480p", 480)):
        path = ctx.store.copy_to(result["variants"][name]["artifact"]["artifact"], tmp_path / f"{name}.mp4")
        with av.open(str(path)) as container:
            video, audio = container.streams.video[0], container.streams.audio[0]
            assert video.codec_context.name == "h264" and video.codec_context.height == height
            assert audio.codec_context.name == "aac"
            assert container.duration / 1e6 == pytest.approx(1.2, abs=0.15)
        assert ctx.store.stat(result["variants"][name]["artifact"]["artifact"]).source == ctx.inputs[0].id
    assert result["variants"]["480p"]["width"] == 852


def test_video_never_upscaled(settings, corpus):
    result, _ = call_task(settings, "asset.variants", {"variants": ["480p"]}, [corpus["video.mp4"]])  # 320x240
    assert (result["variants"]["480p"]["width"], result["variants"]["480p"]["height"]) == (320, 240)


def test_image_presets_of_a_video_are_stills(settings, corpus):
    result, _ = call_task(settings, "asset.variants", {"variants": ["THUMBNAIL"]}, [corpus["video.mp4"]])
    assert (result["variants"]["THUMBNAIL"]["width"], result["variants"]["THUMBNAIL"]["height"]) == (200, 150)


def test_transcode_keeps_the_display_rotation(settings, tmp_path):
    from assets_media import write_video

    source = write_video(tmp_path / "phone.mp4", width=640, height=480, seconds=0.4, black_s=0, audio=False,
                         rotation=90)
    result, ctx = call_task(settings, "asset.variants", {"variants": ["480p"]}, [source])
    output = ctx.store.stat(result["variants"]["480p"]["artifact"]["artifact"])
    facts, _ = call_task(settings, "asset.inspect", {}, [output])
    assert facts["video"]["rotation"] == 90

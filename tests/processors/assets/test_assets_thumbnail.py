"""asset.thumbnail: size, crop, orientation, sRGB, every input kind; hostile SVG never reaches the network."""

from pathlib import Path

import pytest

from mediamill.errors import BadInput
from mediamill.testing import call_task


def _load(ctx, result, tmp_path: Path, key: str = "thumbnail"):
    import pyvips

    target = ctx.store.copy_to(result[key]["artifact"], tmp_path / "out.bin")
    return pyvips.Image.new_from_file(str(target))


def _is(colour, expected, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=False))


def test_default_is_a_200x200_srgb_jpeg_linked_to_its_source(settings, corpus, tmp_path):
    result, ctx = call_task(settings, "asset.thumbnail", {}, [corpus["photo.jpg"]])
    image = _load(ctx, result, tmp_path)
    assert (image.width, image.height, image.bands) == (200, 200, 3)
    assert image.get("vips-loader").startswith("jpeg") and image.interpretation == "srgb"
    assert result["thumbnail"]["mime"] == "image/jpeg"
    assert ctx.store.stat(result["thumbnail"]["artifact"]).source == ctx.inputs[0].id


def test_crop_none_fits_inside_and_centre_crops_exactly(settings, corpus, tmp_path):
    fitted, ctx = call_task(settings, "asset.thumbnail", {"crop": "none"}, [corpus["photo.jpg"]])
    assert (fitted["width"], fitted["height"]) == (200, 150)
    centred, ctx = call_task(settings, "asset.thumbnail", {"crop": "centre", "width": 120, "height": 300},
                             [corpus["photo.jpg"]])
    assert (centred["width"], centred["height"]) == (120, 300)


def test_exif_orientation_is_applied(settings, corpus, tmp_path):
    # Given pixels stored red-left/blue-right with orientation 6 (display turned 90 degrees clockwise)
    result, ctx = call_task(settings, "asset.thumbnail", {"crop": "none"}, [corpus["exif_rotated.jpg"]])
    image = _load(ctx, result, tmp_path)
    # Then the thumbnail is portrait with red on top and blue at the bottom
    assert (image.width, image.height) == (133, 200)
    assert _is(image(66, 10), (220, 30, 30)) and _is(image(66, 190), (30, 30, 220))


def test_cmyk_becomes_srgb(settings, corpus, tmp_path):
    result, ctx = call_task(settings, "asset.thumbnail", {}, [corpus["cmyk.jpg"]])
    image = _load(ctx, result, tmp_path)
    assert image.bands == 3 and image.interpretation == "srgb"
    red, green, blue = image(100, 100)
    assert red > 180 and green < 90 and blue < 90  # C=0 M=90% Y=90% K=0 is a strong red


def test_16_bit_png_with_alpha(settings, corpus, tmp_path):
    as_png, ctx = call_task(settings, "asset.thumbnail", {"format": "png"}, [corpus["rgb16_alpha.png"]])
    image = _load(ctx, as_png, tmp_path)
    assert image.format == "uchar" and image.bands == 4 and image.interpretation == "srgb"
    as_jpeg, ctx = call_task(settings, "asset.thumbnail", {}, [corpus["rgb16_alpha.png"]])
    assert _load(ctx, as_jpeg, tmp_path).bands == 3  # alpha flattened onto white


def test_animated_gif_uses_its_first_frame(settings, corpus, tmp_path):
    result, ctx = call_task(settings, "asset.thumbnail", {"crop": "none", "upscale": True}, [corpus["animated.gif"]])
    image = _load(ctx, result, tmp_path)
    assert (image.width, image.height) == (200, 133)
    assert _is(image(100, 60), (220, 30, 30))


@pytest.mark.parametrize("name", ["photo.webp", "photo.tif", "photo.avif", "small.png"])
def test_other_image_formats(settings, corpus, tmp_path, name):
    result, ctx = call_task(settings, "asset.thumbnail", {"width": 100, "height": 100}, [corpus[name]])
    image = _load(ctx, result, tmp_path)
    assert (image.width, image.height) == ((100, 90) if name == "small.png" else (100, 100))  # never enlarged


@pytest.mark.parametrize("fmt", ["png", "webp", "avif"])
def test_output_formats(settings, corpus, tmp_path, fmt):
    result, ctx = call_task(settings, "asset.thumbnail", {"format": fmt}, [corpus["photo.jpg"]])
    image = _load(ctx, result, tmp_path)
    assert image.get("vips-loader").startswith({"png": "png", "webp": "webp", "avif": "heif"}[fmt])
    assert (image.width, image.height) == (200, 200)


def test_svg_is_rasterized_at_the_target_size(settings, corpus, tmp_path):
    result, ctx = call_task(settings, "asset.thumbnail", {"crop": "none", "width": 800, "height": 800,
                                                           "upscale": True}, [corpus["logo.svg"]])
    image = _load(ctx, result, tmp_path)
    assert (image.width, image.height) == (800, 400)
    assert _is(image(200, 200), (220, 30, 30), 10) and _is(image(600, 200), (30, 30, 220), 10)


@pytest.mark.parametrize("template", [
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="{url}" width="10" height="10"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
    '<image xlink:href="{url}" width="10" height="10"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" '
    'style="fill: url({url})"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><style>@import url({url});</style></svg>',
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY remote SYSTEM "{url}">]>'
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&remote;</text></svg>',
])
def test_hostile_svg_is_refused_without_any_request(settings, tmp_path, spy_server, template):
    url = f"http://127.0.0.1:{spy_server.server_address[1]}/tracker.png"
    svg = tmp_path / "hostile.svg"
    svg.write_text(template.format(url=url))
    with pytest.raises(BadInput, match="SVG"):
        call_task(settings, "asset.thumbnail", {}, [svg])
    with pytest.raises(BadInput, match="SVG"):
        call_task(settings, "asset.inspect", {}, [svg])
    assert spy_server.requests == []


def test_libvips_itself_does_not_fetch_remote_images(spy_server):
    # Defence in depth: even without our check, rendering from a buffer makes no request.
    import pyvips

    url = f"http://127.0.0.1:{spy_server.server_address[1]}/x.png"
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="{url}" width="10" height="10"/></svg>'
    pyvips.Image.svgload_buffer(svg.encode()).avg()
    assert spy_server.requests == []


def test_video_thumbnail_skips_the_black_opening(settings, corpus, tmp_path):
    result, ctx = call_task(settings, "asset.thumbnail", {"crop": "none"}, [corpus["video.mp4"]])
    image = _load(ctx, result, tmp_path)
    assert (image.width, image.height) == (200, 150) and result["source_kind"] == "video"
    assert image.avg() > 60 and image.deviate() > 20  # a real picture, not a black frame


def test_pdf_thumbnail_is_its_first_page(settings, corpus, tmp_path):
    result, ctx = call_task(settings, "asset.thumbnail", {"crop": "none", "width": 300, "height": 300},
                            [corpus["doc.pdf"]])
    image = _load(ctx, result, tmp_path)
    assert (image.width, image.height) == (232, 300)  # US Letter is 612x792 points
    assert image.avg() > 200 and image.min() < 100  # white paper with dark text


def test_rotated_video_thumbnail_is_upright(settings, tmp_path):
    from assets_media import write_video

    # Given a 320x240 recording whose display matrix says "turn by 90 degrees" (a phone held upright)
    path = write_video(tmp_path / "portrait.mp4", seconds=0.4, black_s=0, audio=False, rotation=90)
    result, _ = call_task(settings, "asset.thumbnail", {"crop": "none"}, [path])
    assert (result["width"], result["height"]) == (150, 200)


@pytest.mark.parametrize(("fmt", "size"), [("BMP", (300, 200)), ("ICO", (64, 64)), ("PCX", (120, 80))])
def test_formats_libvips_lacks_go_through_pillow(settings, tmp_path, fmt, size):
    from PIL import Image

    source = tmp_path / f"picture.{fmt.lower()}"
    Image.new("RGB", size, (220, 30, 30)).save(source, format=fmt)
    result, ctx = call_task(settings, "asset.thumbnail", {"crop": "none", "format": "png"}, [source])
    image = _load(ctx, result, tmp_path)
    assert max(image.width, image.height) == min(200, max(size)) and _is(image(5, 5), (220, 30, 30), 5)
    facts, _ = call_task(settings, "asset.inspect", {}, [source])
    assert (facts["format"], facts["width"], facts["decoder"]) == (fmt.lower(), size[0], "pillow")


def test_pillow_fallback_checks_limits_before_decoding(data_dir, tmp_path):
    from PIL import Image

    from mediamill.errors import LimitExceeded
    from mediamill.settings import Settings

    source = tmp_path / "big.bmp"
    Image.new("RGB", (1200, 1000)).save(source)
    strict = Settings(data_dir=data_dir, limits={"max_pixels": 1_000_000})
    with pytest.raises(LimitExceeded, match="max_pixels"):
        call_task(strict, "asset.thumbnail", {}, [source])


def test_heic_photos_decode_through_pillow_heif(settings, tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif", reason="HEIC needs the pillow-heif wheel (libde265)")
    from PIL import Image

    pillow_heif.register_heif_opener()
    source = tmp_path / "iphone.heic"
    Image.new("RGB", (640, 480), (220, 30, 30)).save(source, quality=90)
    result, ctx = call_task(settings, "asset.thumbnail", {"crop": "none"}, [source])
    image = _load(ctx, result, tmp_path)
    assert (image.width, image.height) == (200, 150) and _is(image(100, 75), (220, 30, 30), 12)
    facts, _ = call_task(settings, "asset.inspect", {}, [source])
    assert (facts["mime"], facts["format"], facts["width"]) == ("image/heic", "heif", 640)


def _big_jpeg(path: Path, orientation: int = 1) -> Path:
    """A 4000x3000 JPEG stored red-left/blue-right, with the given EXIF orientation."""
    import pyvips

    xyz = pyvips.Image.xyz(4000, 3000)
    left = (xyz[0] < 2000).ifthenelse([220, 30, 30], [30, 30, 220]).cast("uchar")
    image = left.copy(interpretation="srgb")
    image.set_type(pyvips.GValue.gint_type, "orientation", orientation)
    image.jpegsave(str(path), Q=90)
    return path


@pytest.mark.parametrize(("box", "crop", "orientation", "factor"), [
    ((200, 200), "attention", 1, 8),   # cover: 3000 -> 200 needs 15x
    ((1920, 1080), "none", 1, 2),      # fit: 4000 -> 1920 needs 2.08x
    ((200, 1000), "centre", 1, 2),     # cover by height: 3000 -> 1000 needs 3x
    ((200, 1000), "centre", 6, 4),     # turned upright the height is 4000: 4x
    ((4000, 3000), "none", 1, 1),
])
def test_jpeg_shrink_on_load_leaves_at_least_the_box(tmp_path, box, crop, orientation, factor):
    import pyvips

    from mediamill.processors.assets.render import Box, jpeg_shrink

    header = pyvips.Image.new_from_file(str(_big_jpeg(tmp_path / "big.jpg", orientation)))
    assert jpeg_shrink(header, Box(*box, crop)) == factor


def test_large_rotated_jpeg_shrunk_on_load_matches_a_full_thumbnail(settings, tmp_path):
    import pyvips

    # Given a 4000x3000 JPEG with orientation 6 (upright it is 3000x4000, red on top)
    path = _big_jpeg(tmp_path / "big.jpg", orientation=6)
    result, ctx = call_task(settings, "asset.thumbnail", {"crop": "none"}, [path])
    image = _load(ctx, result, tmp_path)
    # Then it is upright, and within a few levels of libvips' own thumbnail (which decodes 2x more)
    assert (image.width, image.height) == (150, 200)
    assert _is(image(75, 10), (220, 30, 30)) and _is(image(75, 190), (30, 30, 220))
    reference = pyvips.Image.thumbnail(str(path), 200, height=200, size="down")
    assert (reference.width, reference.height) == (150, 200)
    assert (image - reference).abs().avg() < 3

"""asset.inspect: facts by content type, stored on the input artifact; GPS reported and strippable."""

import hashlib

import numpy as np
import pytest
from PIL import Image

from mediamill.testing import call_task


def test_exif_photo_facts_and_metadata_is_stored(settings, corpus):
    result, ctx = call_task(settings, "asset.inspect", {}, [corpus["exif_rotated.jpg"]])
    assert (result["kind"], result["mime"], result["format"]) == ("image", "image/jpeg", "jpeg")
    assert (result["width"], result["height"]) == (300, 200)
    assert result["orientation"] == 6
    assert (result["display_width"], result["display_height"]) == (200, 300)
    assert result["exif"]["make"] == "Canon" and result["exif"]["model"] == "EOS 5D"
    assert result["exif"]["datetime_original"] == "2024:05:01 10:20:30"
    assert result["gps"]["latitude"] == pytest.approx(52.375)
    assert result["gps"]["longitude"] == pytest.approx(-1.5)
    assert result["sha256"] == hashlib.sha256(corpus["exif_rotated.jpg"].read_bytes()).hexdigest()
    stored = ctx.store.stat(result["artifact"]).metadata["inspect"]
    assert stored["width"] == 300 and stored["gps"]["latitude"] == pytest.approx(52.375)


def test_strip_gps_gives_a_lossless_copy_without_gps(settings, corpus, tmp_path):
    result, ctx = call_task(settings, "asset.inspect", {"strip_gps": True}, [corpus["exif_rotated.jpg"]])
    copy = ctx.store.copy_to(result["stripped"]["artifact"], tmp_path / "nogps.jpg")
    assert ctx.store.stat(result["stripped"]["artifact"]).source == result["artifact"]
    with Image.open(copy) as stripped, Image.open(corpus["exif_rotated.jpg"]) as original:
        exif = stripped.getexif()
        assert not exif.get_ifd(0x8825), "GPS IFD must be gone"
        assert exif[0x0112] == 6 and exif[0x010F] == "Canon"  # everything else kept
        assert np.array_equal(np.asarray(stripped), np.asarray(original))  # no re-encoding


def test_strip_gps_on_png_reencodes_without_gps(settings, corpus, tmp_path):
    import pyvips

    source = tmp_path / "gps.png"
    with Image.open(corpus["exif_rotated.jpg"]) as image:
        image.save(source, exif=image.getexif())
    result, ctx = call_task(settings, "asset.inspect", {"strip_gps": True}, [source])
    assert result["gps"]["latitude"] == pytest.approx(52.375)
    copy = ctx.store.copy_to(result["stripped"]["artifact"], tmp_path / "nogps.png")
    assert pyvips.Image.new_from_file(str(copy)).width == 300
    with Image.open(copy) as stripped:
        assert not stripped.getexif().get_ifd(0x8825)


@pytest.mark.parametrize(("name", "expected"), [
    ("cmyk.jpg", {"color_space": "cmyk", "bands": 4, "bit_depth": 8, "has_alpha": False}),
    ("rgb16_alpha.png", {"color_space": "rgb16", "bit_depth": 16, "has_alpha": True, "format": "png"}),
    ("animated.gif", {"frames": 3, "animated": True, "format": "gif", "height": 80}),
    ("photo.webp", {"format": "webp", "width": 1600, "height": 1200}),
    ("photo.tif", {"format": "tiff", "width": 400}),
    ("photo.avif", {"format": "heif", "mime": "image/avif", "width": 400}),
    ("logo.svg", {"kind": "svg", "width": 400, "height": 200, "vector": True}),
])
def test_image_formats(settings, corpus, name, expected):
    result, _ = call_task(settings, "asset.inspect", {}, [corpus[name]])
    assert {key: result[key] for key in expected} == expected


def test_video_facts(settings, corpus):
    result, _ = call_task(settings, "asset.inspect", {}, [corpus["video.mp4"]])
    assert result["kind"] == "video" and result["duration_s"] == pytest.approx(2.0, abs=0.1)
    assert result["video"]["codec"] == "h264" and result["video"]["fps"] == pytest.approx(25)
    assert (result["width"], result["height"]) == (320, 240)
    assert result["audio_streams"][0]["codec"] == "aac" and result["audio_streams"][0]["channels"] == 2
    assert result["bitrate"] > 0


def test_rotated_video_reports_rotation(settings, tmp_path):
    from assets_media import write_video

    path = write_video(tmp_path / "portrait.mp4", seconds=0.4, black_s=0, audio=False, rotation=90)
    result, _ = call_task(settings, "asset.inspect", {}, [path])
    assert abs(result["video"]["rotation"]) == 90


def test_audio_facts_and_tags(settings, corpus):
    result, _ = call_task(settings, "asset.inspect", {}, [corpus["tone.m4a"]])
    assert (result["kind"], result["mime"]) == ("audio", "audio/mp4")
    assert result["sample_rate"] == 48_000 and result["channels"] == 1 and result["codec"] == "aac"
    assert result["duration_s"] == pytest.approx(1.5, abs=0.1)
    assert result["tags"]["title"] == "Test Tone"


def test_pdf_facts_and_text(settings, corpus):
    result, _ = call_task(settings, "asset.inspect", {"text_kb": 1}, [corpus["doc.pdf"]])
    document = result["document"]
    assert result["kind"] == "pdf" and document["pages"] == 2
    assert (document["title"], document["author"]) == ("Quarterly Report", "Ada")
    assert "Hello mediamill page one" in document["text"] and "Second page" in document["text"]


def test_anything_else_gets_size_hash_and_mime(settings, tmp_path):
    blob = tmp_path / "data.bin"
    blob.write_bytes(bytes(range(256)) * 10)
    result, _ = call_task(settings, "asset.inspect", {}, [blob])
    assert (result["kind"], result["size"]) == ("other", 2560)
    assert result["sha256"] == hashlib.sha256(blob.read_bytes()).hexdigest()

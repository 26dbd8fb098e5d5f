"""The asset-ingest sequence through a real worker, and the memory ceiling of a huge thumbnail."""

from pathlib import Path

import pytest

HUGE_SIDE = 12_000
MAX_CHILD_RSS_KB = 200 * 1024


@pytest.mark.slow
async def test_ingest_sequence_inspect_thumbnail_variants(client, worker, corpus):
    async with worker(["assets", "thumbnails", "variants"]):
        upload = await client.upload(corpus["exif_rotated.jpg"])
        facts = await (await client.submit("asset.inspect", {"strip_gps": True}, [upload.id])).result(180)
        thumb = await (await client.submit("asset.thumbnail", {"crop": "none"}, [upload.id])).result(180)
        variants = await (await client.submit("asset.variants", {"siblings": ["webp"]}, [upload.id])).result(180)
        video = await (await client.submit("asset.thumbnail", {}, [corpus["video.mp4"]])).result(180)
    assert facts["orientation"] == 6 and facts["gps"] is not None and "stripped" in facts
    assert client.artifact(upload.id).metadata["inspect"]["exif"]["make"] == "Canon"
    assert (thumb["width"], thumb["height"]) == (133, 200)  # orientation applied
    assert (variants["variants"]["PREVIEW"]["width"], variants["variants"]["PREVIEW"]["height"]) == (200, 300)
    for variant in variants["variants"].values():
        assert client.artifact(variant["webp"]["artifact"]).source == upload.id
    assert video["source_kind"] == "video" and video["width"] == 200


def _huge_jpeg(path: Path) -> Path:
    """12000x12000 (144 Mpx) JPEG, written by streaming so the test process stays small too."""
    import pyvips

    xyz = pyvips.Image.xyz(HUGE_SIDE, HUGE_SIDE)
    bands = [((xyz[0] * 7 + xyz[1] * 3) % 256).cast("uchar"), (xyz[0] % 256).cast("uchar"),
             (xyz[1] % 200).cast("uchar")]
    bands[0].bandjoin(bands[1:]).copy(interpretation="srgb").jpegsave(str(path), Q=85)
    return path


def _peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.slow
async def test_huge_jpeg_thumbnail_stays_small_in_memory(client, worker, tmp_path):
    huge = _huge_jpeg(tmp_path / "huge.jpg")
    async with worker(["thumbnails"]) as service:
        result = await (await client.submit("asset.thumbnail", {}, [huge])).result(180)
        pids = service.pool.child_pids()
        peaks = [_peak_rss_kb(pid) for pid in pids]
    assert (result["width"], result["height"]) == (200, 200)
    assert len(pids) == 1
    # A full decode would need 12000*12000*3 bytes = 412 MiB; shrink-on-load needs a fraction.
    assert peaks[0] <= MAX_CHILD_RSS_KB, f"child peaked at {peaks[0] // 1024} MiB"

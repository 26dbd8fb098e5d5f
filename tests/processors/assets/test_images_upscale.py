"""image.upscale: Lanczos-3 + unsharp mask, measured by PSNR/SSIM against plain Lanczos and bilinear,
streamed with bounded memory, and its limits."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from assets_media import textured
from photos_media import COLOUR_PHOTOS, photo, photo_path
from scipy.ndimage import gaussian_filter

from mediamill.errors import BadInput, LimitExceeded
from mediamill.examples import example_path
from mediamill.processors.images.operations import upscale as enlarge
from mediamill.testing import call_task


def luma(image) -> np.ndarray:
    return image.numpy().astype(np.float64)[..., :3] @ [0.299, 0.587, 0.114]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255 ** 2 / np.mean((a - b) ** 2)))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM with the usual 11-tap-like Gaussian window (sigma 1.5) and constants."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mean_a, mean_b = gaussian_filter(a, 1.5), gaussian_filter(b, 1.5)
    var_a = gaussian_filter(a * a, 1.5) - mean_a ** 2
    var_b = gaussian_filter(b * b, 1.5) - mean_b ** 2
    cov = gaussian_filter(a * b, 1.5) - mean_a * mean_b
    return float(np.mean((2 * mean_a * mean_b + c1) * (2 * cov + c2)
                         / ((mean_a ** 2 + mean_b ** 2 + c1) * (var_a + var_b + c2))))


def test_psnr_and_ssim_against_plain_lanczos():
    """Halve each picture, enlarge it back, compare with the original (luma)."""
    import pyvips

    pictures = {"product photo": pyvips.Image.new_from_file(str(example_path("product"))).crop(200, 400, 1200, 1200),
                "texture": textured(1200, 900)}
    rows = {}
    for name, picture in pictures.items():
        picture = picture[:3].copy_memory()
        small = picture.resize(0.5, kernel="lanczos3")
        truth = luma(picture)
        for method, big in (("bilinear", small.resize(2, kernel="linear")), ("lanczos", enlarge(small, 2, 0)),
                            ("mediamill", enlarge(small, 2, 0.3))):
            out = luma(big)[:truth.shape[0], :truth.shape[1]]
            rows[name, method] = (psnr(truth[:out.shape[0], :out.shape[1]], out),
                                  ssim(truth[:out.shape[0], :out.shape[1]], out))
    for (name, method), (p, s) in rows.items():
        print(f"{name:14s} {method:10s} PSNR {p:6.2f} dB  SSIM {s:.4f}")
    for name in pictures:
        lanczos, ours, bilinear = rows[name, "lanczos"], rows[name, "mediamill"], rows[name, "bilinear"]
        assert lanczos[0] >= bilinear[0] - 0.05  # the resampler itself is no worse than bilinear
        # The unsharp mask adds crispness, not detail: within 0.5 dB and 0.005 SSIM of plain Lanczos.
        assert ours[0] >= lanczos[0] - 0.5 and ours[1] >= lanczos[1] - 0.005


def test_real_photos_through_the_task_against_plain_lanczos(settings, tmp_path):
    """Five real photographs (scikit-image's bundled set) halved with Lanczos, enlarged 2x back by the
    image.upscale task (PNG, lossless) and by plain Lanczos-3 in the same run, scored against the
    original by PSNR and SSIM on luma."""
    import pyvips

    rows = {}
    for name in COLOUR_PHOTOS:
        original = photo(name)[:3]
        original = original.crop(0, 0, original.width // 2 * 2, original.height // 2 * 2).copy_memory()
        small_path = tmp_path / f"{name}-half.png"
        original.resize(0.5, kernel="lanczos3").pngsave(str(small_path))
        small = pyvips.Image.new_from_file(str(small_path))
        result, ctx = call_task(settings, "image.upscale", {"format": "png"}, [small_path])
        task_out = pyvips.Image.new_from_file(str(ctx.store.copy_to(result["artifact"]["artifact"],
                                                                    tmp_path / f"{name}-x2.png")))
        truth = luma(original)
        for method, big in (("bilinear", small.resize(2, kernel="linear")),
                            ("lanczos", small.resize(2, kernel="lanczos3")), ("image.upscale", task_out)):
            out = luma(big)[:truth.shape[0], :truth.shape[1]]
            part = truth[:out.shape[0], :out.shape[1]]
            rows[name, method] = (psnr(part, out), ssim(part, out))
    for (name, method), (p, s) in rows.items():
        print(f"{name:16s} {method:14s} PSNR {p:6.2f} dB  SSIM {s:.4f}")
    mean = {method: (np.mean([rows[n, method][0] for n in COLOUR_PHOTOS]),
                     np.mean([rows[n, method][1] for n in COLOUR_PHOTOS]))
            for method in ("bilinear", "lanczos", "image.upscale")}
    print("mean over the photos: " + ", ".join(f"{m} {p:.2f} dB / {s:.4f}" for m, (p, s) in mean.items()))
    assert photo_path("astronaut").stat().st_size > 100_000  # the real photo, not a placeholder
    for name in COLOUR_PHOTOS:
        lanczos, ours = rows[name, "lanczos"], rows[name, "image.upscale"]
        # Classical sharpening adds crispness, not detail: it stays within 0.5 dB / 0.01 SSIM of Lanczos.
        assert ours[0] >= lanczos[0] - 0.5 and ours[1] >= lanczos[1] - 0.01
        assert lanczos[0] >= rows[name, "bilinear"][0] - 0.05


def test_upscale_task_output(settings, tmp_path):
    import pyvips

    source = tmp_path / "photo.png"
    textured(300, 200).pngsave(str(source))
    result, ctx = call_task(settings, "image.upscale", {"format": "png"}, [source])
    assert (result["width"], result["height"], result["scale"]) == (600, 400, 2)
    assert result["method"] == "lanczos3+unsharp" and result["model"] is None
    assert result["artifact"]["mime"] == "image/png" and result["artifact"]["name"] == "photo-x2.png"
    assert ctx.store.stat(result["artifact"]["artifact"]).source == ctx.inputs[0].id
    out = pyvips.Image.new_from_file(str(ctx.store.copy_to(result["artifact"]["artifact"], tmp_path / "o.png")))
    assert (out.width, out.height) == (600, 400)
    # Halved back down, the enlargement is close to the source.
    assert np.abs(luma(out.resize(0.5)) - luma(pyvips.Image.new_from_file(str(source)))).mean() < 6


def test_alpha_keeps_alpha_and_jpeg_becomes_png(settings, tmp_path):
    import pyvips

    source = tmp_path / "logo.png"
    textured(120, 80).bandjoin(128).copy(interpretation="srgb").pngsave(str(source))
    result, ctx = call_task(settings, "image.upscale", {"scale": 3}, [source])
    assert result["artifact"]["mime"] == "image/png" and (result["width"], result["height"]) == (360, 240)
    out = pyvips.Image.new_from_file(str(ctx.store.copy_to(result["artifact"]["artifact"], tmp_path / "o.png")))
    assert out.bands == 4


def test_outputs_over_the_limits_are_refused(settings, tmp_path):
    source = tmp_path / "photo.jpg"
    textured(400, 300).jpegsave(str(source))
    small = settings.model_copy(update={"limits": settings.limits.model_copy(update={"max_pixels": 1_000_000})})
    with pytest.raises(LimitExceeded, match="4x upscaled image is 1600x1200") as caught:
        call_task(small, "image.upscale", {"scale": 4}, [source])
    assert caught.value.field == "params.scale"
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    with pytest.raises(BadInput, match="needs a raster image"):
        call_task(settings, "image.upscale", {}, [text])


@pytest.mark.slow
def test_a_48_megapixel_output_streams_in_bounded_memory(tmp_path):
    """In a fresh process (its peak RSS is its own): 4000x3000 -> 8000x6000 JPEG. The output's pixels
    alone are 137 MiB; streamed in tiles the process grows by a fraction of that."""
    script = textwrap.dedent(f"""
        import json, pyvips
        from pathlib import Path
        from mediamill.settings import Settings
        from mediamill.testing import call_task
        def peak():
            return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
        xyz = pyvips.Image.xyz(4000, 3000)
        bands = [((xyz[0] * 7 + xyz[1] * 3) % 256).cast("uchar"), (xyz[0] % 256).cast("uchar"),
                 (xyz[1] % 200).cast("uchar")]
        bands[0].bandjoin(bands[1:]).copy(interpretation="srgb").jpegsave("{tmp_path}/big.jpg", Q=85)
        import mediamill.processors.images.upscale  # imported before the baseline is read
        settings = Settings(data_dir=Path("{tmp_path}/data"))
        before = peak()
        result, _ = call_task(settings, "image.upscale", {{}}, [Path("{tmp_path}/big.jpg")])
        print(json.dumps({{"before_kb": before, "peak_kb": peak(), "size": [result["width"], result["height"]]}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=True)
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    grown_mb = (facts["peak_kb"] - facts["before_kb"]) / 1024
    print(f"48 MP upscale: peak grew by {grown_mb:.0f} MB")
    assert facts["size"] == [8000, 6000]
    assert grown_mb < 100, f"grew by {grown_mb:.0f} MB"


@pytest.mark.slow
async def test_upscale_through_a_worker_and_the_upscaled_image_pipeline(settings, client, worker, tmp_path):
    from mediamill.pipelines.catalog import get_pipeline
    from mediamill.pipelines.coordinator import Coordinator

    source = tmp_path / "photo.jpg"
    textured(320, 240).jpegsave(str(source))
    coordinator = Coordinator(settings)
    try:
        async with worker(["images"]):
            job = await (await client.submit("image.upscale", {"scale": 3}, [source])).result(180)
            upload = await client.upload(source)
            run = await coordinator.start(get_pipeline(settings, "upscaled-image"),
                                          {"picture": {"artifact": upload.id}}, {"format": "webp"})
            status = await coordinator.wait(run.id, timeout=180)
    finally:
        await coordinator.close()
    assert (job["width"], job["height"]) == (960, 720)
    assert status.state == "completed", status.error
    assert status.outputs["upscaled"]["artifact"]["mime"] == "image/webp"
    assert (status.outputs["placeholder"]["width"], status.outputs["placeholder"]["height"]) == (640, 480)

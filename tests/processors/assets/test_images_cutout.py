"""image.cutout: transparent cutout, backdrop with a soft shadow, the mask; through a worker and a pipeline."""

import numpy as np
import pytest
from test_images_background import composite, iou

from mediamill.errors import BadInput
from mediamill.processors.images.staging import object_bounds
from mediamill.testing import call_task

BRAND = "#2f8f5b"


def _decoded(ctx, ref, tmp_path):
    import pyvips

    return pyvips.Image.new_from_file(str(ctx.store.copy_to(ref["artifact"], tmp_path / ref["name"])))


@pytest.fixture
def mug(tmp_path):
    image, truth = composite("mug", "wood", np.random.default_rng(4))
    path = tmp_path / "mug.png"
    image.pngsave(str(path))
    return path, truth


def _truth_box(truth):
    ys, xs = np.nonzero(truth)
    return xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()


def test_cutout_backdrop_and_mask_match_the_object(settings, mug, tmp_path):
    path, truth = mug
    branded = settings.model_copy(update={"email": settings.email.model_copy(update={"brand_color": BRAND})})
    result, ctx = call_task(branded, "image.cutout", {"backdrop": "brand", "margin": 0.1}, [path])
    assert result["background_method"] == "u2netp" and result["mask_confidence"] > 0.9
    assert result["foreground_fraction"] == pytest.approx(truth.mean(), abs=0.02)
    left, top, width, height = _truth_box(truth)
    box = result["bbox"]
    assert abs(box["left"] - left) <= 4 and abs(box["top"] - top) <= 4
    assert abs(box["width"] - width) <= 8 and abs(box["height"] - height) <= 8
    for name in ("cutout", "backdrop", "mask"):
        assert ctx.store.stat(result[name]["artifact"]).source == ctx.inputs[0].id

    mask = _decoded(ctx, result["mask"], tmp_path)
    assert (mask.width, mask.height, mask.bands) == (truth.shape[1], truth.shape[0], 1)
    assert iou(mask, truth) > 0.9

    cutout = _decoded(ctx, result["cutout"], tmp_path)
    pad = round(0.1 * max(box["width"], box["height"]))
    assert cutout.bands == 4 and (cutout.width, cutout.height) == (box["width"] + 2 * pad, box["height"] + 2 * pad)
    inside = truth[box["top"]:box["top"] + box["height"], box["left"]:box["left"] + box["width"]]
    assert iou(cutout[3], np.pad(inside, pad)) > 0.9
    assert cutout[3].numpy()[:pad].max() == 0  # the added room is fully transparent

    staged = _decoded(ctx, result["backdrop"], tmp_path).numpy().astype(np.float32)
    assert staged.shape[:2] == (cutout.height, cutout.width) and staged.shape[2] == 3
    brand = np.array([int(BRAND[i:i + 2], 16) for i in (1, 3, 5)], np.float32)
    assert np.abs(staged[:4, :4].reshape(-1, 3).mean(0) - brand).max() < 6  # corner: the brand colour
    # The soft shadow falls below the object: just under it is darker than just over it.
    x0, x1 = pad + box["width"] // 3, pad + 2 * box["width"] // 3
    bottom = pad + box["height"]
    below = staged[bottom + 2:bottom + pad // 2, x0:x1].mean()
    above = staged[pad // 2:pad - 2, x0:x1].mean()
    assert below < above - 8, (below, above)


def test_no_shadow_leaves_the_backdrop_flat(settings, mug, tmp_path):
    path, _ = mug
    result, ctx = call_task(settings, "image.cutout", {"shadow": 0, "outputs": ["backdrop"],
                                                      "backdrop": "#336699", "backdrop_format": "png"}, [path])
    assert set(result) & {"cutout", "mask", "backdrop"} == {"backdrop"}
    staged = _decoded(ctx, result["backdrop"], tmp_path).numpy()
    alpha = np.zeros(staged.shape[:2], bool)
    box, pad = result["bbox"], round(0.1 * max(result["bbox"]["width"], result["bbox"]["height"]))
    alpha[pad - 2:pad + box["height"] + 2, pad - 2:pad + box["width"] + 2] = True
    assert (staged[~alpha] == (0x33, 0x66, 0x99)).all()  # outside the object: exactly the colour, no shadow


def test_webp_cutout_keeps_its_alpha(settings, mug, tmp_path):
    path, truth = mug
    result, ctx = call_task(settings, "image.cutout", {"format": "webp", "outputs": ["cutout"], "margin": 0},
                            [path])
    assert result["cutout"]["mime"] == "image/webp" and result["cutout"]["name"] == "mug-cutout.webp"
    cutout = _decoded(ctx, result["cutout"], tmp_path)
    box = result["bbox"]
    inside = truth[box["top"]:box["top"] + box["height"], box["left"]:box["left"] + box["width"]]
    assert cutout.bands == 4 and iou(cutout[3], inside) > 0.9


@pytest.mark.parametrize("kind", ["blank", "noise"])
def test_nothing_salient_is_bad_input(settings, tmp_path, kind):
    import pyvips

    rng = np.random.default_rng(2)
    pixels = np.full((240, 320, 3), 200, np.uint8) if kind == "blank" else rng.integers(0, 256, (240, 320, 3), np.uint8)
    path = tmp_path / f"{kind}.png"
    pyvips.Image.new_from_array(pixels, interpretation="srgb").pngsave(str(path))
    with pytest.raises(BadInput, match="nothing salient") as caught:
        call_task(settings, "image.cutout", {}, [path])
    assert caught.value.field == "inputs"


def test_an_empty_mask_is_bad_input():
    import pyvips

    mask = pyvips.Image.new_from_array(np.zeros((100, 100), np.uint8))
    with pytest.raises(BadInput, match="the mask is empty") as caught:
        object_bounds(mask)
    assert caught.value.field == "inputs"
    dot = np.zeros((100, 100), np.uint8)
    dot[40:60, 30:50] = 255
    bounds, area = object_bounds(pyvips.Image.new_from_array(dot))
    assert (bounds.left, bounds.top, bounds.width, bounds.height) == (30, 40, 20, 20) and area == pytest.approx(0.04)


@pytest.mark.parametrize(("params", "field"), [({"backdrop": "pink"}, "params.backdrop"),
                                              ({"outputs": []}, "params.outputs"),
                                              ({"outputs": ["poster"]}, "params.outputs.0")])
def test_bad_params_name_the_field(settings, mug, params, field):
    with pytest.raises(BadInput, match=f"^{field}: "):
        call_task(settings, "image.cutout", params, [mug[0]])


def test_not_an_image_is_bad_input(settings, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    with pytest.raises(BadInput, match="needs an image"):
        call_task(settings, "image.cutout", {}, [text])


@pytest.mark.slow
async def test_cutout_through_a_worker_and_the_product_cutout_pipeline(settings, client, worker, mug, tmp_path):
    from mediamill.pipelines.catalog import get_pipeline
    from mediamill.pipelines.coordinator import Coordinator

    path, truth = mug
    coordinator = Coordinator(settings)
    try:
        async with worker(["images"]):
            job = await (await client.submit("image.cutout", {"outputs": ["mask"]}, [path])).result(180)
            upload = await client.upload(path)
            run = await coordinator.start(get_pipeline(settings, "product-cutout"),
                                          {"photo": {"artifact": upload.id}}, {"format": "webp"})
            status = await coordinator.wait(run.id, timeout=180)
    finally:
        await coordinator.close()
    assert set(job) & {"cutout", "mask", "backdrop"} == {"mask"} and job["mask_confidence"] > 0.9
    assert status.state == "completed", status.error
    outputs = status.outputs
    assert outputs["cutout"]["cutout"]["mime"] == "image/webp" and outputs["cutout"]["backdrop"]["mime"] == "image/jpeg"
    assert outputs["placeholder"]["width"] == outputs["cutout"]["width"] and outputs["placeholder"]["blurhash"]

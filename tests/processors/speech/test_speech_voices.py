"""Voice discovery: the bundled Joe voice, and voices dropped into MEDIAMILL_PIPER_VOICES folders."""

import shutil

import pytest

from mediamill.errors import BadInput
from mediamill.processors.speech.voices import VOICES_DIRS_ENV, default_voice, find_voice, list_voices


def test_bundled_voice_is_listed_and_default():
    voices = {voice["name"]: voice for voice in list_voices()}
    joe = voices["en_US-joe-medium"]
    assert joe["engine"] == "piper" and joe["sample_rate"] == 22050 and joe["language"] == "en_US"
    assert default_voice() == "en_US-joe-medium"


def test_voices_in_a_configured_folder_are_found(tmp_path, monkeypatch):
    joe = find_voice(None)
    shutil.copy(joe["model_path"], tmp_path / "en_GB-test-low.onnx")
    shutil.copy(joe["config_path"], tmp_path / "en_GB-test-low.onnx.json")
    (tmp_path / "orphan.onnx.json").write_text("{}")  # a config without its model is ignored
    monkeypatch.setenv(VOICES_DIRS_ENV, str(tmp_path))
    names = [voice["name"] for voice in list_voices()]
    assert "en_GB-test-low" in names and "en_US-joe-medium" in names and "orphan" not in names
    assert find_voice("en_GB-test-low")["model_path"] == str(tmp_path / "en_GB-test-low.onnx")


def test_unknown_voice_lists_the_installed_ones():
    with pytest.raises(BadInput, match="en_US-joe-medium"):
        find_voice("nobody")

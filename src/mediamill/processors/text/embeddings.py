"""Sentence embeddings behind one small interface, and what the text tasks measure with them.

`Embedder` is anything with `name`, `dimensions` and `embed(texts) -> (n, d)` unit-length rows; the
default is all-MiniLM-L6-v2 run in numpy (minilm.py), loaded once per process. Cosine similarity
of unit rows is their dot product.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

import numpy as np

# Cosine similarities of MiniLM between two texts on unrelated subjects sit around 0-0.2, a close
# paraphrase at 0.7-0.9: this band is mapped onto 0-100 for a score.
SCORE_BAND = (0.15, 0.65)


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    from mediamill.processors.text.minilm import MiniLM

    return MiniLM()


def band(similarity: float, low: float = SCORE_BAND[0], high: float = SCORE_BAND[1]) -> float:
    """A cosine similarity as 0-100: 0 at or below `low`, 100 at or above `high`, linear between."""
    return float(np.clip((similarity - low) / (high - low), 0.0, 1.0) * 100)


def brand_similarity(embedder: Embedder, passages: list[str], references: list[str]) -> dict:
    """How close a piece's passages are to the brand's references (voice description, approved examples).

    Each passage takes its best match among the references; the piece's similarity is the mean of
    those, so one off-voice section lowers it and a piece need not resemble every example.
    """
    vectors = embedder.embed([*passages, *references])
    piece, refs = vectors[:len(passages)], vectors[len(passages):]
    best = (piece @ refs.T).max(axis=1)
    return {"similarity": round(float(best.mean()), 4), "passages": len(passages), "references": len(references),
            "weakest_passage": int(best.argmin()), "weakest_similarity": round(float(best.min()), 4)}


def near_duplicates(embedder: Embedder, texts: list[str], threshold: float) -> list[dict]:
    """Pairs of texts whose cosine similarity is at least `threshold`, most similar first."""
    if len(texts) < 2:
        return []
    vectors = embedder.embed(texts)
    sims = vectors @ vectors.T
    pairs = [{"a": i, "b": j, "similarity": round(float(sims[i, j]), 4)}
             for i in range(len(texts)) for j in range(i + 1, len(texts)) if sims[i, j] >= threshold]
    return sorted(pairs, key=lambda pair: -pair["similarity"])


def rank_passages(embedder: Embedder, query: str, passages: list[str], top: int) -> list[dict]:
    """The `top` passages closest to `query` (cosine similarity), most similar first."""
    if not passages:
        return []
    vectors = embedder.embed([query, *passages])
    sims = vectors[1:] @ vectors[0]
    order = np.argsort(-sims)[:top]
    return [{"index": int(i), "text": passages[i], "similarity": round(float(sims[i]), 4)} for i in order]

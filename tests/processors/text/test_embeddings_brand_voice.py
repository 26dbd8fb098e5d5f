"""The MiniLM embedder (numpy forward pass), the brand-voice score on a frozen held-out set, near-duplicates."""

import json
from pathlib import Path

import numpy as np
import pytest

from mediamill.processors.text.embeddings import band, brand_similarity, default_embedder, near_duplicates
from mediamill.processors.text.quality import brand_references

SET = json.loads((Path(__file__).parent / "brand_voice_set.json").read_text())


def test_minilm_matches_sentence_transformers():
    # The similarity matrix sentence-transformers' own README prints for all-MiniLM-L6-v2 on these
    # three sentences (0.6660, 0.1046, 0.1411): the numpy forward pass is the same model.
    vectors = default_embedder().embed(["The weather is lovely today.", "It's so sunny outside!",
                                        "He drove to the stadium."])
    assert vectors.shape == (3, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] == pytest.approx(0.6660, abs=0.002)
    assert sims[0, 2] == pytest.approx(0.1046, abs=0.002)
    assert sims[1, 2] == pytest.approx(0.1411, abs=0.002)


def test_batches_and_padding_do_not_change_a_vector():
    embedder = default_embedder()
    short = "Fresh beans."
    texts = [short, *[f"A much longer sentence number {i} about grinding coffee at home." for i in range(40)]]
    alone = embedder.embed([short])[0]
    together = embedder.embed(texts)[0]  # padded to the longest text of its batch, in a second batch order
    assert np.allclose(alone, together, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)


def auc(positives: list[float], negatives: list[float]) -> float:
    """Probability that a random on-brand text outscores a random off-brand one (ties count half)."""
    wins = [1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives]
    return sum(wins) / len(wins)


def test_brand_voice_score_separates_the_held_out_set():
    embedder, references = default_embedder(), brand_references(SET["brand"])
    on = [band(brand_similarity(embedder, [text], references)["similarity"]) for text in SET["on_brand"]]
    off = [band(brand_similarity(embedder, [text], references)["similarity"]) for text in SET["off_brand"]]
    value = auc(on, off)
    print(f"brand-voice AUC on the frozen set ({len(on)} on-brand, {len(off)} off-brand): {value:.3f}; "
          f"mean score on {np.mean(on):.1f}, off {np.mean(off):.1f}")
    assert value >= 0.85
    assert np.mean(on) > np.mean(off) + 20


def test_the_examples_count_in_the_score():
    embedder = default_embedder()
    brand = SET["brand"]
    text = SET["on_brand"][2]
    with_examples = brand_similarity(embedder, [text], brand_references(brand))
    voice_only = brand_similarity(embedder, [text], brand_references({**brand, "examples": []}))
    assert with_examples["references"] == 1 + len(brand["examples"]) and voice_only["references"] == 1
    assert with_examples["similarity"] > voice_only["similarity"]


def test_near_duplicates_finds_reworded_variants_only():
    texts = ["Cold brew is the lazy genius of coffee: coarse grounds, cold water, one night in the fridge.",
             "Cold brew is coffee's lazy genius: coarse grounds, cold water and a night in the fridge.",
             "Descale your machine every month and your espresso will taste sweeter.",
             "Our quarterly revenue grew four percent."]
    pairs = near_duplicates(default_embedder(), texts, threshold=0.85)
    assert [(p["a"], p["b"]) for p in pairs] == [(0, 1)] and pairs[0]["similarity"] > 0.9
    assert near_duplicates(default_embedder(), texts[:1], threshold=0.5) == []


async def test_content_generate_scores_the_voice_against_the_examples(run_text):
    brand = SET["brand"]
    result, _ = await run_text("content.generate", {"idea": "Cold brew at home without the mistakes",
                                                    "brand": brand})
    similarity = result["quality"]["details"]["brand_similarity"]
    assert similarity["references"] == 1 + len(brand["examples"]) and similarity["passages"] >= 3
    assert result["quality"]["brand_voice"] == pytest.approx(band(similarity["similarity"]), abs=0.1)


async def test_text_copy_reports_near_duplicate_posts(run_text):
    product = {"name": "Trail Mug", "description": "A double-walled steel travel mug that keeps coffee hot for 12 hours."}
    every, _ = await run_text("text.copy", {"product": product, "duplicate_threshold": 0.0})
    found = every["near_duplicates"]
    assert found["model"] == "all-MiniLM-L6-v2" and len(found["pairs"]) == 3  # 3 platforms: every pair
    similarities = [pair["similarity"] for pair in found["pairs"]]
    assert similarities == sorted(similarities, reverse=True) and all(0 < s < 1 for s in similarities)
    none, _ = await run_text("text.copy", {"product": product, "duplicate_threshold": 1.0})
    assert none["near_duplicates"]["pairs"] == []  # the platforms' posts are not identical


async def test_research_ranks_the_supplied_passages_by_meaning(run_text):
    text = ("Cold brew needs a coarse grind and about twelve hours in the fridge. Use a 1:8 ratio.\n\n"
            "Our company picnic is on Saturday. Bring sunscreen and a folding chair.\n\n"
            "Strain the steeped coffee through a paper filter. It keeps for a week in a sealed jar.\n\n"
            "The parking garage closes at 10 pm on weekdays.")
    result, _ = await run_text("content.research", {"topic": "How to make cold brew coffee at home", "text": text,
                                                    "provider": "offline"})
    ranked = [p["index"] for p in result["passages"]]
    assert set(ranked[:2]) == {0, 2} and set(ranked[2:]) == {1, 3}  # the coffee passages first
    assert result["passages"][0]["similarity"] > 0.4 > result["passages"][2]["similarity"]
    top = [p["similarity"] for p in result["passages"][:3]]
    assert result["scores"]["semantic_relevance"] == pytest.approx(band(sum(top) / 3), abs=0.1)
    off_topic, _ = await run_text("content.research", {"topic": "How to make cold brew coffee at home",
                                                       "text": text.split("\n\n")[3], "provider": "offline"})
    assert off_topic["scores"]["semantic_relevance"] < result["scores"]["semantic_relevance"]
    bare, _ = await run_text("content.research", {"topic": "cold brew", "provider": "offline"})
    assert "passages" not in bare and "semantic_relevance" not in bare["scores"]

"""Benchmark: text.copy, content.generate and content.research written by the template writers (offline)
and by the local LLM (SmolLM2-135M, provider=local) on the same inputs, side by side. Prints JSON.

    .venv/bin/python bench/llm_quality.py [--examples]

Each task runs in this process as a worker runs it (the task function with a real TaskContext and
artifact store), offline first, then local, so the RSS after the offline runs is the baseline of the
one with the model. What is compared (none of it true by construction for either writer):

- content.generate: the quality score's parts (processors/text/quality.py: readability, length,
  brand_voice, avoided_words; keyword_coverage is scored for the LLM only, since the template pastes the keywords in);
- text.copy: the posts' Flesch reading ease in the 50-80 band (the same band score), the MiniLM
  cosine similarity of each post to the product's description (on topic), and posts within the
  platform limit (the guards make it 100 % for both: shown as a check, not a score);
- content.research: keywords whose words all occur in the topic or text (grounded; the offline
  extractor takes its keywords from that text, so its 100 % is by construction and shown for reference);
- latency per job (wall and this process's CPU seconds) and RSS.
`--examples` adds each job's written text to the report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

PRODUCTS = [
    {"name": "Trail Mug", "description": "A double-walled steel travel mug that keeps coffee hot for six hours, "
     "never leaks and fits car cup holders.", "price": 24},
    {"name": "Lumen Desk Lamp", "description": "An LED desk lamp with warm-to-cool light, a USB-C charging port in "
     "its base and a touch dimmer.", "price": 59},
    {"name": "Fold Pack", "description": "A 20-litre backpack that folds into its own pocket, made of recycled "
     "ripstop nylon, for travellers who want a day bag.", "price": 39},
]
IDEAS = [
    ("How to brew better coffee at home", {"name": "Bean There", "voice": "warm, practical, encouraging",
                                           "audience": "home baristas", "avoid": ["cheap", "hack"]}),
    ("Five ways to keep a small balcony garden alive in summer",
     {"name": "Leaf & Ledge", "voice": "calm, friendly, expert", "audience": "city gardeners", "avoid": ["easy"]}),
    ("Why a morning walk beats a second coffee", {"name": "Stride", "voice": "upbeat, concise",
                                                  "audience": "office workers", "avoid": ["lazy"]}),
]
TOPICS = [
    ("cold brew coffee at home", "Cold brew steeps coarse ground coffee in cold water for 12 to 24 hours. It tastes "
     "smoother and less acidic than hot coffee. Many people make a concentrate and dilute it with milk or water. "
     "A simple jar and a fine filter are enough."),
    ("balcony vegetable gardening", "Tomatoes, peppers and herbs grow well in pots on a sunny balcony. Containers dry "
     "out fast in summer, so water early in the morning. Self-watering pots and mulch help."),
]


def in_band(value: float) -> float:
    from mediamill.processors.text.quality import READABLE_BAND, band_score

    return band_score(value, *READABLE_BAND, slope=2)


def copy_measures(result: dict, product: dict) -> dict:
    from mediamill.processors.text.embeddings import default_embedder
    from mediamill.processors.text.quality import flesch

    posts = [post["text"] for post in result["platforms"].values()]
    vectors = default_embedder().embed([product["description"], *posts])
    on_topic = [float(vectors[0] @ vector) for vector in vectors[1:]]
    return {"readability": round(statistics.mean(in_band(flesch(post)) for post in posts), 1),
            "on_topic_similarity": round(statistics.mean(on_topic), 3),
            "within_limit_pct": 100 * sum(p["length"] <= p["limit"] for p in result["platforms"].values()) / len(posts)}


def research_measures(result: dict, topic: str, text: str) -> dict:
    from mediamill.processors.text.keywords import words

    vocabulary = set(words(f"{topic} {text}"))
    keywords = [row["keyword"] for row in result.get("keywords", [])]
    grounded = [k for k in keywords if words(k) and all(w in vocabulary for w in words(k))]
    return {"keywords": len(keywords), "grounded_pct": round(100 * len(grounded) / len(keywords), 1) if keywords else 0.0}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return -1.0


async def run_task(settings, name: str, params: dict) -> tuple[dict, float, float]:
    from mediamill.engine.wire import to_wire
    from mediamill.tasks.registry import get_task
    from mediamill.testing import make_context

    spec = get_task(name)
    ctx = make_context(settings, name, [])
    wall, cpu = time.perf_counter(), time.process_time()
    result = to_wire(await spec.fn(ctx, spec.parse_params(params)))
    return result, time.perf_counter() - wall, time.process_time() - cpu


def example(name: str, result: dict) -> dict:
    if name == "text.copy":
        return {"headline": result["headline"], "script": result["script"],
                "posts": {p: post["text"] for p, post in result["platforms"].items()}}
    if name == "content.generate":
        return {"title": result["title"], "sections": result["sections"][:2], "cta": result["cta"]}
    return {k: result.get(k) for k in ("keywords", "questions", "angles", "scores")}


async def compare(settings, with_examples: bool) -> dict:
    from mediamill.processors.text.embeddings import default_embedder

    default_embedder().embed(["warm"])  # the scoring model is loaded before any clock starts
    jobs = ([("text.copy", {"product": p, "platforms": ["instagram", "twitter"]}, p) for p in PRODUCTS]
            + [("content.generate", {"idea": i, "brand": b, "kind": "blog", "length": "short"}, None) for i, b in IDEAS]
            + [("content.research", {"topic": t, "text": x, "type": "keywords"}, (t, x)) for t, x in TOPICS])
    report: dict = {}
    for provider in ("offline", "local"):
        rows = []
        for name, params, subject in jobs:
            result, wall, cpu = await run_task(settings, name, {**params, "provider": provider})
            if name == "text.copy":
                measured = copy_measures(result, subject)
            elif name == "content.generate":
                measured = {k: v for k, v in result["quality"].items() if isinstance(v, float | int)}
            else:
                measured = research_measures(result, *subject)
            row = {"task": name, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), **measured}
            if with_examples:
                row["example"] = example(name, result)
            rows.append(row)
        report[provider] = {"jobs": rows, "rss_mb_after": rss_mb(), "summary": summarise(rows)}
    return report


def summarise(rows: list[dict]) -> dict:
    out: dict = {}
    for task in dict.fromkeys(row["task"] for row in rows):
        mine = [row for row in rows if row["task"] == task]
        keys = [k for k in mine[0] if k not in ("task", "example")]
        out[task] = {k: round(statistics.mean(row[k] for row in mine if k in row), 2)
                     for k in keys if all(k in row for row in mine)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", action="store_true", help="include what each job wrote")
    args = parser.parse_args()
    from mediamill.composition import install_tasks
    from mediamill.logs import configure_logging
    from mediamill.providers.llm.local import runtime_missing
    from mediamill.settings import Settings

    missing = runtime_missing()
    if missing:
        print(json.dumps({"skipped": f"{missing}: pip install 'mediamill[local-llm]'"}))
        return
    for name in ("MEDIAMILL_LLM_PROVIDER", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        os.environ.pop(name, None)  # offline means the templates; no key may turn auto into a remote model
    with tempfile.TemporaryDirectory(prefix="mediamill-bench-llm-") as tmp:
        settings = Settings(data_dir=Path(tmp), log_level="warning", log_format="json")
        configure_logging(settings)
        install_tasks(settings)
        load = round(os.getloadavg()[0], 1)
        report = asyncio.run(compare(settings, args.examples))
    print(json.dumps({"cpus": os.cpu_count(), "load_average_1m": [load, round(os.getloadavg()[0], 1)], **report},
                     indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

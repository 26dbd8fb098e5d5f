"""Benchmark: content.research (offline) on a real corpus with competitor pages, against the same
library calls made directly in the same process; and the one-off cost of loading the libraries.
Prints JSON.

    .venv/bin/python bench/research.py [--rounds 5] [--pages 3]

Corpus: the prose of three of mediamill's own guides (real English, ~40 kB). Pages: each guide's
sections as an HTML article (h1, h2 per section, JSON-LD), served by a local HTTP server; the
task fetches them as competitors through the safe fetcher (loopback opened with fetch_allow_hosts).

`task` calls the content.research processor as the worker would (params parsed, TaskContext, the
result stored as research.json). `direct` does the same work with the libraries and no mediamill
code: httpx GETs of the pages, html.parser text and headings, json.loads of the JSON-LD, YAKE over
the corpus, textstat's Flesch scores of the corpus and of each page, and the MiniLM embedder over
the same passages. Rounds alternate (direct, task) so the machine's load hits both alike; medians
of wall and of CPU seconds are reported with the spread. `cold` times, in fresh interpreters, the
imports (`import textstat` pulls nltk and scipy) and the first readability call (CMUdict load).
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDES = ("docs/guides/offline-ai.md", "docs/guides/pipelines.md", "docs/guides/security.md")
TOPIC = "offline AI for background media jobs: cutouts, embeddings and research"


def prose(path: Path) -> list[tuple[str, str]]:
    """(heading, paragraph text) of a Markdown guide, code blocks and tables left out."""
    sections, heading, lines, fenced = [], path.stem, [], False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced or line.startswith(("|", "![", "<!--")):
            continue
        if line.startswith("#"):
            if lines:
                sections.append((heading, " ".join(lines)))
            heading, lines = line.lstrip("# ").strip(), []
        elif line.strip():
            lines.append(re.sub(r"[`*_]|\]\([^)]*\)|\[", "", line.strip()))
    if lines:
        sections.append((heading, " ".join(lines)))
    return sections


def page_html(title: str, sections: list[tuple[str, str]]) -> str:
    body = "".join(f"<h2>{h}</h2><p>{t}</p>" for h, t in sections)
    ld = json.dumps({"@context": "https://schema.org", "@type": "TechArticle", "headline": title})
    return (f"<!doctype html><html><head><title>{title}</title><script type=\"application/ld+json\">{ld}</script>"
            f"</head><body><article><h1>{title}</h1>{body}</article></body></html>")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text, self.headings, self.ld, self._in = [], [], [], None

    def handle_starttag(self, tag, attrs):
        self._in = tag

    def handle_data(self, data):
        if self._in == "script":
            self.ld.append(json.loads(data))
        elif self._in in ("h1", "h2", "h3"):
            self.headings.append(data)
        if self._in not in ("script", "title"):
            self.text.append(data)


def direct(corpus: str, urls: list[str], passages: list[str]) -> None:
    import httpx
    import textstat
    import yake

    from mediamill.processors.text.embeddings import default_embedder

    pages = []
    for url in urls:
        parser = _Text()
        parser.feed(httpx.get(url).text)
        pages.append(" ".join(parser.text))
    yake.KeywordExtractor(lan="en", n=3, top=45).extract_keywords(f"{TOPIC}.\n{TOPIC}.\n{corpus}")
    for text in [corpus, *pages]:
        textstat.flesch_reading_ease(text), textstat.flesch_kincaid_grade(text)
    default_embedder().embed([TOPIC, *passages])


def task_call(settings, corpus: str, urls: list[str]) -> dict:
    from mediamill.engine.wire import to_wire
    from mediamill.tasks.registry import get_task
    from mediamill.testing import make_context

    spec = get_task("content.research")
    params = {"topic": TOPIC, "text": corpus, "provider": "offline",
              "competitors": [{"name": f"site {i}", "url": url} for i, url in enumerate(urls)]}
    ctx = make_context(settings, "content.research", [])
    return to_wire(asyncio.run(spec.fn(ctx, spec.parse_params(params))))


def cold() -> dict:
    def run(code: str) -> float:
        out = subprocess.run([sys.executable, "-c", f"import time; s = time.perf_counter(); {code}; "
                              "print(time.perf_counter() - s)"], capture_output=True, text=True, check=True)
        return round(float(out.stdout.strip().splitlines()[-1]), 2)

    return {"import_yake_s": run("import yake"), "import_textstat_s": run("import textstat"),
            "first_readability_s": run("from mediamill.processors.text.readability import readability; "
                                       "readability('One short sentence.')")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pages", type=int, default=3)
    args = parser.parse_args()

    from proc_cpu import tree_cpu_s

    from mediamill.composition import install_tasks
    from mediamill.processors.text.research import passages_of
    from mediamill.settings import Settings

    install_tasks()
    guides = [prose(ROOT / g) for g in GUIDES]
    corpus = "\n\n".join(t for sections in guides for _, t in sections)
    pages = {f"/page{i}": page_html(GUIDES[i % len(GUIDES)], guides[i % len(guides)]).encode()
             for i in range(args.pages)}

    class Site(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = pages[self.path]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"
    urls = [f"http://{host}{path}" for path in pages]
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="bench-research-")),
                        limits={"fetch_allow_hosts": [host]})
    coldstart = cold()
    passages = passages_of(corpus)
    result = task_call(settings, corpus, urls)  # warm both: imports, CMUdict, the model
    direct(corpus, urls, passages)
    times: dict[str, list[tuple[float, float]]] = {"direct": [], "task": []}
    for _ in range(args.rounds):
        for side in ("direct", "task"):
            wall, cpu = time.perf_counter(), tree_cpu_s()
            direct(corpus, urls, passages) if side == "direct" else task_call(settings, corpus, urls)
            times[side].append((time.perf_counter() - wall, tree_cpu_s() - cpu))
    server.shutdown()

    def summary(side: str) -> dict:
        walls, cpus = [w for w, _ in times[side]], [c for _, c in times[side]]
        return {"wall_s_median": round(statistics.median(walls), 3),
                "wall_s_range": [round(min(walls), 3), round(max(walls), 3)],
                "cpu_s_median": round(statistics.median(cpus), 3)}

    ratios = [t[0] / d[0] for t, d in zip(times["task"], times["direct"], strict=True)]
    cpu_ratios = [t[1] / d[1] for t, d in zip(times["task"], times["direct"], strict=True) if d[1] > 0]
    print(json.dumps({
        "corpus_chars": len(corpus), "passages": len(passages), "pages": args.pages, "rounds": args.rounds,
        "task": summary("task"), "direct": summary("direct"),
        "task_over_direct_wall": round(statistics.median(ratios), 3),
        "task_over_direct_wall_range": [round(min(ratios), 3), round(max(ratios), 3)],
        "task_over_direct_cpu": round(statistics.median(cpu_ratios), 3) if cpu_ratios else None,
        "cold": coldstart, "keywords": [k["keyword"] for k in result["keywords"][:5]],
        "scores": result["scores"],
    }, indent=2))


if __name__ == "__main__":
    main()

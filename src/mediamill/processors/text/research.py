"""content.research: keywords, angles, questions, competitors, trends and virality/relevance/competition scores."""

from __future__ import annotations

import asyncio
import re
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from mediamill.errors import BadInput
from mediamill.processors.text import answer_schemas, prompts
from mediamill.processors.text import offline_research as rules
from mediamill.processors.text.common import ProviderChoice, check_chars, put_json, read_text_input
from mediamill.processors.text.embeddings import default_embedder, rank_passages
from mediamill.processors.text.ideas import idea_brief
from mediamill.processors.text.models import ResearchAnswer
from mediamill.processors.text.offline_copy import seeded
from mediamill.processors.text.pages import Page, fetch_page
from mediamill.processors.text.readability import readability
from mediamill.processors.text.trends import TrendSeries, analyse, trend_score
from mediamill.providers.llm import LLMProvider, generate_json, select_provider
from mediamill.tasks import TaskContext, task

# Passages of the supplied text ranked against the topic: runs of 3 sentences, at most 64 of them
# (embedding cost is bounded whatever the text's size); 5 shown, the best 3 make semantic_relevance
# (offline_research.RELEVANT_TOP).
PASSAGE_SENTENCES = 3
MAX_PASSAGES = 64
RELEVANT_SHOWN = 5
# Pages fetched for one job (urls plus competitors' urls are each at most this many).
MAX_PAGES = 10
ResearchType = Literal["keywords", "competitors", "trends", "full"]
# Which sections each research type returns (scores always).
SECTIONS: dict[str, tuple[str, ...]] = {
    "keywords": ("keywords", "questions", "angles"),
    "competitors": ("keywords", "competitors"),
    "trends": ("trends", "angles", "questions"),
    "full": ("keywords", "questions", "angles", "competitors", "trends"),
}


class Competitor(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", description="what they offer or say (their tagline, a page's text)")
    url: str | None = Field(None, max_length=2_000, description="their page, fetched through the safe fetcher for "
                            "its structure (headings, length, schema.org JSON-LD) and keyword density")


class ResearchParams(BaseModel):
    # The content seed's research job: its idea record (or text) as `idea`, its researchType.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)
    topic: str = Field(..., min_length=1, max_length=2_000, description="the idea or topic to research (seed: idea, "
                       "text or its {title, description} record)", validation_alias=AliasChoices("topic", "idea"))
    type: ResearchType = Field("full", description="keywords | competitors | trends | full (seed: researchType)",
                               validation_alias=AliasChoices("type", "researchType"))
    text: str = Field("", description="source text to analyse (a brief, an article, notes); or pass a text input")
    audience: str = Field("", max_length=300, description="who the content is for")
    competitors: list[Competitor | str] = Field(default_factory=list, max_length=20,
                                                description="names, or {name, description, url} objects")
    urls: list[str] = Field(default_factory=list, max_length=MAX_PAGES, description="pages to read as source "
                            "material (fetched through the safe fetcher); their text joins the corpus")
    series: list[TrendSeries] = Field(default_factory=list, max_length=20, description="trend inputs: "
                                      "[{name, values (oldest first), dates?}], e.g. a search-interest export")
    max_keywords: int = Field(15, ge=1, le=50, description="most keywords returned")
    provider: ProviderChoice = Field("auto", description="'offline' forces the heuristics even with keys set; 'local' runs the local GGUF model (docs/guides/local-llm.md)")

    _idea_record = field_validator("topic", mode="before")(idea_brief)

    @field_validator("competitors")
    @classmethod
    def _as_objects(cls, items: list[Competitor | str]) -> list[Competitor]:
        out = [Competitor(name=item) if isinstance(item, str) else item for item in items]
        if any(not c.name for c in out):
            raise ValueError("a competitor needs a name")
        return out


@task("content.research", queue="research", inputs=(0, 1), accepts=("text/*", "application/json"))
async def research(ctx: TaskContext, params: ResearchParams) -> dict:
    """Research a topic (offline: YAKE keywords and textstat readability over the given text and fetched pages,
    competitors from their pages, trends from supplied series; every score with its formula and evidence)."""
    text = params.text
    if ctx.inputs:
        text = f"{text}\n\n{read_text_input(ctx, ctx.input(0))}".strip()
    check_chars(ctx, len(params.topic) + len(text), "params.text")
    ctx.progress(5, "fetching" if params.urls or any(c.url for c in params.competitors) else "researching")
    pages, rivals = await fetch_pages(ctx, params)
    corpus = "\n\n".join([text, *(page.text for page in pages)]).strip()
    check_chars(ctx, len(params.topic) + len(corpus), "params.urls")
    ctx.check()
    ctx.progress(40, "researching")
    async with select_provider(choice=params.provider) as llm:
        if llm.offline:
            # YAKE, textstat (and its import) and the embedder take a moment: keep the event loop free.
            found = await asyncio.to_thread(offline_research, params, corpus, pages, rivals)
        else:
            found = await llm_research(llm, params, corpus, pages, rivals)
        result = {**llm.describe(), "topic": params.topic, "type": params.type, **found}
    ctx.check()
    ctx.progress(90, "storing")
    result["research_file"] = await put_json(ctx, result, "research.json")
    ctx.progress(100, "done")
    return result


async def fetch_pages(ctx: TaskContext, params: ResearchParams) -> tuple[list[Page], dict[int, Page]]:
    """The source pages (params.urls) and the competitors' pages, fetched concurrently."""
    limits, cap = ctx.limits, ctx.limits.research_page_max_bytes
    sources = [fetch_page(url, limits, f"params.urls[{i}]", max_bytes=cap) for i, url in enumerate(params.urls)]
    theirs = {i: c.url for i, c in enumerate(params.competitors) if c.url}
    if len(theirs) > MAX_PAGES:
        raise BadInput(f"params.competitors: {len(theirs)} have a url; at most {MAX_PAGES} pages are fetched",
                       field="params.competitors")
    rivals = [fetch_page(url, limits, f"params.competitors[{i}].url", max_bytes=cap) for i, url in theirs.items()]
    fetched = await asyncio.gather(*sources, *rivals)
    return list(fetched[:len(sources)]), dict(zip(theirs, fetched[len(sources):], strict=True))


def offline_research(params: ResearchParams, corpus: str, pages: list[Page], rivals: dict[int, Page]) -> dict:
    rng = seeded(params.topic, params.type, params.audience)
    keywords = rules.keyword_rows(params.topic, corpus, params.max_keywords)
    competitors = [competitor_facts(c, rivals.get(i)) for i, c in enumerate(params.competitors)]
    rules.keyword_competition(keywords, competitors)
    slots = rules.slots_for(keywords, params.audience, rng)
    series = [analyse(s) for s in params.series]
    trend = trend_score(series)
    asked = rules.questions_in(corpus) + [text for page in pages for _, text in page.headings if text.endswith("?")]
    everything = {
        "keywords": keywords,
        "questions": list(dict.fromkeys(asked))[:8] + rules.fill(rules.QUESTIONS, slots, 5, rng),
        "angles": rules.fill(rules.ANGLES, slots, 5, rng),
        "competitors": rules.competitor_rows(competitors, keywords),
        "trends": rules.trend_signals(params.topic, corpus, series),
    }
    notes = ["offline mode: keywords (YAKE), readability (textstat) and scores are measured on the text, pages "
             "and series you gave; no search volumes, live trends or web searches"]
    if params.type in ("competitors", "full") and not params.competitors:
        notes.append("offline mode cannot discover competitors; pass competitors=[...] to compare against them")
    passages = relevant_passages(params.topic, corpus) if corpus else []
    details = {"virality": rules.virality(params.topic, trend),
               "relevance": rules.relevance(params.topic, corpus, passages),
               "competition": rules.competition(keywords, competitors)}
    semantic = details["relevance"]["evidence"].get("parts", {}).get("semantic")
    if semantic is not None:
        details["semantic_relevance"] = rules.detail(
            semantic, rules.SEMANTIC_FORMULA, best_passage_similarities=[p["similarity"] for p in passages[:rules.RELEVANT_TOP]])
    if corpus:
        easy = readability(corpus)
        details["readability"] = rules.detail(easy["score"], easy["formula"], **{k: v for k, v in easy.items()
                                              if k not in ("score", "formula")}) if easy else None
    if trend:
        details["trend"] = trend
    details = {name: d for name, d in details.items() if d is not None}
    found = {**{name: everything[name] for name in SECTIONS[params.type]},
             "scores": {name: d["score"] for name, d in details.items()}, "score_details": details, "notes": notes}
    if pages:
        found["pages"] = [page.structure() for page in pages]
    if passages:
        found["passages"] = passages
    return found


def competitor_facts(competitor: Competitor, page: Page | None) -> dict:
    """What is known of a competitor: its headline text (what it targets) and all of its text."""
    parts = [competitor.description, page.headline_text() if page else ""]
    return {"name": competitor.name, "page": page, "headline_text": " ".join(p for p in parts if p).lower(),
            "text": " ".join([competitor.description, page.text if page else ""]).strip()}


def passages_of(text: str) -> list[str]:
    """Paragraphs, long ones cut into runs of PASSAGE_SENTENCES sentences; at most MAX_PASSAGES."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", " ".join(paragraph.split())) if s]
        for start in range(0, len(sentences), PASSAGE_SENTENCES):
            out.append(" ".join(sentences[start:start + PASSAGE_SENTENCES]))
    return out[:MAX_PASSAGES]


def relevant_passages(topic: str, text: str) -> list[dict]:
    """The supplied text's passages ranked by meaning against the topic (MiniLM cosine similarity)."""
    return rank_passages(default_embedder(), topic, passages_of(text), RELEVANT_SHOWN)


async def llm_research(llm: LLMProvider, params: ResearchParams, text: str, pages: list[Page],
                       rivals: dict[int, Page]) -> dict:
    """The LLM's research; its scores are marked as its estimates, and what can be measured (the pages'
    structure, the series' momentum) is measured beside them, as offline."""
    answer = await generate_json(
        llm, system=prompts.SYSTEM_RESEARCH,
        prompt=prompts.research_prompt(params.topic, params.type, text, params.audience,
                                       [c.name for c in params.competitors]),
        answer=ResearchAnswer, schema=answer_schemas.research_schema(params.max_keywords), temperature=0.4)
    data = answer.model_dump()
    data["keywords"] = data["keywords"][: params.max_keywords]
    made_by = llm.describe()
    details = {name: rules.detail(value, "the LLM's estimate from the prompt; not measured", **made_by)
               for name, value in data["scores"].items()}
    found = {**{name: data[name] for name in SECTIONS[params.type]}, "scores": data["scores"],
             "notes": ["virality, relevance and competition are the LLM's estimates, not measurements"]}
    if params.series:
        found["series"] = [analyse(s) for s in params.series]
        details["trend"] = trend_score(found["series"])
        found["scores"]["trend"] = details["trend"]["score"]
    if pages:
        found["pages"] = [page.structure() for page in pages]
    if rivals:
        found["competitor_pages"] = {params.competitors[i].name: page.structure() for i, page in rivals.items()}
    found["score_details"] = details
    return found

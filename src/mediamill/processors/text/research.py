"""content.research: keywords, angles, questions, competitors, trends and virality/relevance/competition scores."""

from __future__ import annotations

import asyncio
import re
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from mediamill.processors.text import offline_research as rules
from mediamill.processors.text import prompts
from mediamill.processors.text.common import ProviderChoice, check_chars, put_json, read_text_input
from mediamill.processors.text.embeddings import band, default_embedder, rank_passages
from mediamill.processors.text.ideas import idea_brief
from mediamill.processors.text.models import ResearchAnswer
from mediamill.processors.text.offline_copy import seeded
from mediamill.providers.llm import LLMProvider, generate_json, select_provider
from mediamill.tasks import TaskContext, task

# Passages of the supplied text ranked against the topic: runs of 3 sentences, at most 64 of them
# (embedding cost is bounded whatever the text's size); 5 shown, the best 3 make semantic_relevance.
PASSAGE_SENTENCES = 3
MAX_PASSAGES = 64
RELEVANT_SHOWN = 5
RELEVANT_TOP = 3
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
                                                description="names, or {name, description} objects")
    max_keywords: int = Field(15, ge=1, le=50, description="most keywords returned")
    provider: ProviderChoice = Field("auto", description="'offline' forces the heuristics even with keys set")

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
    """Research a topic (offline: keyword extraction and heuristics over the topic and given text)."""
    text = params.text
    if ctx.inputs:
        text = f"{text}\n\n{read_text_input(ctx, ctx.input(0))}".strip()
    check_chars(ctx, len(params.topic) + len(text), "params.text")
    ctx.progress(5, "researching")
    async with select_provider(force_offline=params.provider == "offline") as llm:
        if llm.offline:
            # A long source text takes a moment to scan: keep the worker's event loop free meanwhile.
            found = await asyncio.to_thread(offline_research, params, text)
        else:
            found = await llm_research(llm, params, text)
        result = {**llm.describe(), "topic": params.topic, "type": params.type, **found}
    ctx.check()
    ctx.progress(90, "storing")
    result["research_file"] = await put_json(ctx, result, "research.json")
    ctx.progress(100, "done")
    return result


def offline_research(params: ResearchParams, text: str) -> dict:
    rng = seeded(params.topic, params.type, params.audience)
    keywords = rules.keyword_rows(params.topic, text, params.max_keywords)
    slots = rules.slots_for(keywords, params.audience, rng)
    everything = {
        "keywords": keywords,
        "questions": rules.questions_in(text) + rules.fill(rules.QUESTIONS, slots, 5, rng),
        "angles": rules.fill(rules.ANGLES, slots, 5, rng),
        "competitors": rules.competitor_rows([c.model_dump() for c in params.competitors], keywords),
        "trends": rules.trend_signals(params.topic, text),
    }
    notes = ["offline mode: keywords and scores come from the topic and text you gave, by documented "
             "heuristics; no search volumes, live trends or web lookups"]
    if params.type in ("competitors", "full") and not params.competitors:
        notes.append("offline mode cannot discover competitors; pass competitors=[...] to compare against them")
    scores = {"virality": rules.virality(params.topic, params.audience),
              "relevance": rules.relevance(params.topic, text, keywords, params.audience),
              "competition": rules.competition(keywords)}
    found = {**{name: everything[name] for name in SECTIONS[params.type]}, "scores": scores, "notes": notes}
    if text.strip():
        found["passages"] = relevant_passages(params.topic, text)
        top = [p["similarity"] for p in found["passages"][:RELEVANT_TOP]]
        scores["semantic_relevance"] = round(band(sum(top) / len(top)), 1) if top else 0.0
    return found


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


async def llm_research(llm: LLMProvider, params: ResearchParams, text: str) -> dict:
    answer = await generate_json(
        llm, system=prompts.SYSTEM_RESEARCH,
        prompt=prompts.research_prompt(params.topic, params.type, text, params.audience,
                                       [c.name for c in params.competitors]),
        answer=ResearchAnswer, temperature=0.4)
    data = answer.model_dump()
    data["keywords"] = data["keywords"][: params.max_keywords]
    return {**{name: data[name] for name in SECTIONS[params.type]}, "scores": data["scores"], "notes": []}

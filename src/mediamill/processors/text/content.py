"""content.generate: a structured piece in a brand's voice (title, sections, CTA, hashtags) with a quality score."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from mediamill.processors.text import answer_schemas, offline_content, prompts, quality
from mediamill.processors.text.common import ProviderChoice, check_chars, put_json, put_text, read_json_input
from mediamill.processors.text.ideas import idea_brief
from mediamill.processors.text.keywords import extract_keywords
from mediamill.processors.text.models import ContentAnswer
from mediamill.processors.text.offline_copy import seeded
from mediamill.processors.text.offline_research import QUESTIONS, fill, slots_for
from mediamill.providers.llm import LLMProvider, generate_json, select_provider
from mediamill.tasks import TaskContext, task

Kind = Literal["blog", "newsletter", "social", "landing"]
Length = Literal["short", "medium", "long"]
TARGET_WORDS: dict[str, dict[str, int]] = {
    "blog": {"short": 400, "medium": 800, "long": 1400},
    "newsletter": {"short": 200, "medium": 400, "long": 700},
    "social": {"short": 60, "medium": 120, "long": 200},
    "landing": {"short": 150, "medium": 300, "long": 500},
}


class Brand(BaseModel):
    """Who the piece speaks for: its name, voice, audience, values, words to avoid, a fixed call to action."""

    # The content seed's brand record is accepted as the app has it (id, brandVoice, targetAudience).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)
    id: str | None = Field(None, max_length=128, description="the app's brand id (kept, not used)")
    name: str = Field(..., min_length=1, max_length=120, description="the brand's name")
    voice: str = Field("friendly", max_length=300, description="e.g. 'warm, witty, concise' (seed: brandVoice)",
                       validation_alias=AliasChoices("voice", "brandVoice"))
    audience: str = Field("", max_length=300, description="who the brand writes for (seed: targetAudience)",
                          validation_alias=AliasChoices("audience", "targetAudience"))
    values: list[str] = Field(default_factory=list, max_length=10, description="what the brand stands for")
    avoid: list[str] = Field(default_factory=list, max_length=50, description="words the brand never uses")
    examples: list[Annotated[str, Field(max_length=2_000)]] = Field(
        default_factory=list, max_length=20, description="approved texts in the brand's voice (the voice score compares with them)")
    cta: str | None = Field(None, max_length=300, description="the call to action to use, if fixed")


class ContentParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)
    idea: str = Field(..., min_length=1, max_length=5_000,
                      description="the idea: a title, a brief or a summary, or the seed's idea record {title, description}")
    brand: Brand = Field(..., description="who the piece speaks for")
    kind: Kind = Field("blog", description="blog | newsletter | social | landing (seed: contentType)",
                       validation_alias=AliasChoices("kind", "contentType"))
    length: Length = Field("medium", description="short | medium | long (target words depend on kind)")
    keywords: list[str] = Field(default_factory=list, max_length=20, description="keywords to cover")
    research: dict | None = Field(None, description="a content.research result (or pass research.json as input)")
    variant: int = Field(0, ge=0, le=1_000_000, description="offline: another number gives another wording")
    provider: ProviderChoice = Field("auto", description="'offline' forces the offline writer even with keys set; 'local' runs the local GGUF model (docs/guides/local-llm.md)")

    _idea_record = field_validator("idea", mode="before")(idea_brief)


@task("content.generate", queue="content", inputs=(0, 1), accepts=("application/json",))
async def generate(ctx: TaskContext, params: ContentParams) -> dict:
    """Write a piece for the brand from an idea (and research), scored by documented heuristics."""
    research = params.research or (read_json_input(ctx, ctx.input(0)) if ctx.inputs else None)
    check_chars(ctx, len(params.idea) + len(str(research or "")), "params.research")
    keywords = target_keywords(params, research)
    target = TARGET_WORDS[params.kind][params.length]
    ctx.progress(5, "writing")
    async with select_provider(choice=params.provider) as llm:
        if llm.offline:
            piece = offline_piece(params, research, keywords, target)
        else:
            piece = await llm_piece(llm, params, research, keywords, target)
        result = {**llm.describe(), "kind": params.kind, **piece}
    ctx.progress(80, "scoring")
    # The embedding model is CPU work: off the worker's event loop.
    result["quality"] = await asyncio.to_thread(
        quality.score, title=piece["title"], sections=piece["sections"], cta=piece["cta"], keywords=keywords,
        target_words=target, brand=params.brand.model_dump(), template=llm.offline)
    ctx.check()
    ctx.progress(90, "storing")
    result["content_file"] = await put_json(ctx, result, "content.json")
    result["markdown_file"] = await put_text(ctx, markdown(piece), "content.md", "text/markdown")
    ctx.progress(100, "done")
    return result


def target_keywords(params: ContentParams, research: dict | None) -> list[str]:
    """Given keywords first, then research's top keywords, then phrases of the idea itself."""
    found = [k for k in params.keywords if k.strip()]
    for row in (research or {}).get("keywords", [])[:5]:
        keyword = row.get("keyword") if isinstance(row, dict) else row
        if isinstance(keyword, str) and keyword.strip():
            found.append(keyword)
    # Single words of a short idea ("home", "mistakes") make poor targets; its phrases are better.
    idea_phrases = [k.phrase for k in extract_keywords(params.idea, 5)]
    found += [p for p in idea_phrases if len(p.split()) >= 2][:3] or idea_phrases[:1]
    return list(dict.fromkeys(k.lower().strip() for k in found))[:8]


def offline_piece(params: ContentParams, research: dict | None, keywords: list[str], target: int) -> dict:
    rng = seeded(params.model_dump(exclude={"provider"}), "content")
    questions = [q for q in (research or {}).get("questions", []) if isinstance(q, str)]
    if not questions:
        rows = [{"keyword": k, "count": 2} for k in keywords]
        questions = fill(QUESTIONS, slots_for(rows, params.brand.audience, rng), 6, rng)
    piece = offline_content.write(idea=params.idea, brand=params.brand.model_dump(), kind=params.kind,
                                  target_words=target, keywords=keywords, questions=questions, rng=rng)
    return {**piece, "draft": True,
            "notes": ["offline mode: a structured draft written from templates around your idea, brand and "
                      "research; it states no facts about the topic. Set an LLM key for finished prose."]}


async def llm_piece(llm: LLMProvider, params: ContentParams, research: dict | None, keywords: list[str],
                    target: int) -> dict:
    answer = await generate_json(
        llm, system=prompts.SYSTEM_CONTENT,
        prompt=prompts.content_prompt(params.idea, params.brand.model_dump(exclude_none=True), params.kind, target,
                                      keywords, research),
        answer=ContentAnswer, schema=answer_schemas.content_schema(target), prefer=avoids(params.brand.avoid),
        max_tokens=4096)
    piece = answer.model_dump()
    piece["hashtags"] = [t if t.startswith("#") else f"#{t}" for t in piece["hashtags"] if t.strip("# ")]
    return {**piece, "draft": False, "notes": []}


def avoids(words: list[str]):
    """The banned-word guard of every LLM answer: a piece using a word the brand avoids is asked for
    once more, naming the words (the quality score's avoided_words part counts what remains)."""

    def problem(answer: ContentAnswer) -> str | None:
        text = " ".join([answer.title, answer.summary, answer.cta, *(f"{s.heading} {s.body}" for s in answer.sections)])
        found = quality.avoided_present(text, words)
        return f"it uses words the brand never uses: {', '.join(found)}; write it without them" if found else None

    return problem


def markdown(piece: dict) -> str:
    parts = [f"# {piece['title']}", piece.get("summary", "")]
    parts += [f"## {s['heading']}\n\n{s['body']}" for s in piece["sections"]]
    parts += [f"**{piece['cta']}**", " ".join(piece.get("hashtags", []))]
    return "\n\n".join(p for p in parts if p) + "\n"

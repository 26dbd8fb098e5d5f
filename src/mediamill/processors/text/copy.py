"""text.copy: platform-ready marketing copy, a video headline and a voice-over script from product info."""

from __future__ import annotations

import asyncio
import re

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from mediamill.processors.text import answer_schemas, offline_copy, prompts
from mediamill.processors.text.common import ProviderChoice, check_chars, put_json, put_text, speaking_seconds
from mediamill.processors.text.fit import fit_post, shorten
from mediamill.processors.text.models import CopyAnswer
from mediamill.processors.text.platforms import DEFAULT_PLATFORMS, PLATFORMS, resolve
from mediamill.processors.text.product import Facts, ProductInfo, gather
from mediamill.providers.llm import LLMProvider, generate_json, select_provider
from mediamill.tasks import TaskContext, task

HEADLINE_CHARS = 60
SCRIPT_SENTENCES = 4


class CopyParams(BaseModel):
    # The marketing seed's job data names the product productInfo.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    product: ProductInfo = Field(..., description="what to write about (seed: productInfo)",
                                 validation_alias=AliasChoices("product", "productInfo"))
    platforms: list[str] = Field(list(DEFAULT_PLATFORMS), min_length=1, max_length=10,  # a plain default: in the schema
                                 description=f"any of {', '.join(PLATFORMS)} (x = twitter)")
    variant: int = Field(0, ge=0, le=1_000_000, description="offline: another number gives another wording")
    provider: ProviderChoice = Field("auto", description="'offline' forces the rule-based writer even with keys set; 'local' runs the local GGUF model (docs/guides/local-llm.md)")
    duplicate_threshold: float = Field(
        0.9, ge=0, le=1, description="posts of two platforms at or above this cosine similarity are near-duplicates")

    @field_validator("platforms")
    @classmethod
    def _known_platforms(cls, names: list[str]) -> list[str]:
        resolved: list[str] = []
        for name in names:
            platform = resolve(name)
            if platform is None:
                raise ValueError(f"unknown platform {name!r}; known: {', '.join(PLATFORMS)} (or x)")
            if platform.name not in resolved:
                resolved.append(platform.name)
        return resolved


@task("text.copy", queue="text", inputs=(0, 0))
async def write_copy(ctx: TaskContext, params: CopyParams) -> dict:
    """Per-platform hook, body, call to action and hashtags within each platform's limits, plus a headline
    and a 2-4 sentence voice-over script (copy.json and script.txt artifacts)."""
    check_chars(ctx, params.product.text_size(), "params.product")
    # A description may be up to max_text_chars long: scan it off the worker's event loop.
    facts = await asyncio.to_thread(gather, params.product)
    ctx.progress(5, "writing")
    async with select_provider(choice=params.provider) as llm:
        if llm.offline:
            written = offline_copy_result(facts, params)
        else:
            written = await llm_copy_result(llm, params)
        result = {**llm.describe(), "product": params.product.name, **written,
                  "keywords": facts.keywords[:10]}
    result["near_duplicates"] = await asyncio.to_thread(duplicate_posts, result["platforms"],
                                                        params.duplicate_threshold)
    result["script_words"] = len(result["script"].split())
    result["script_seconds"] = speaking_seconds(result["script"])
    ctx.check()
    ctx.progress(90, "storing")
    copy_file = await put_json(ctx, result, "copy.json")
    script_file = await put_text(ctx, result["script"] + "\n", "script.txt")
    ctx.progress(100, "done")
    return {**result, "copy_file": copy_file, "script_file": script_file}


def duplicate_posts(platforms: dict[str, dict], threshold: float) -> dict:
    """Which platforms got (nearly) the same post: embeddings of each post's text, pairs at or above
    `threshold` cosine similarity (a repost reads the same however its hashtags or line breaks differ)."""
    from mediamill.processors.text.embeddings import default_embedder, near_duplicates

    names = list(platforms)
    embedder = default_embedder()
    pairs = near_duplicates(embedder, [platforms[name]["text"] for name in names], threshold)
    return {"model": embedder.name, "threshold": threshold,
            "pairs": [{"platforms": [names[p["a"]], names[p["b"]]], "similarity": p["similarity"]} for p in pairs]}


def offline_copy_result(facts: Facts, params: CopyParams) -> dict:
    return {
        "headline": offline_copy.headline(facts, params.variant, HEADLINE_CHARS),
        "script": offline_copy.script(facts, params.variant),
        "platforms": {name: offline_copy.write_platform(facts, PLATFORMS[name], params.variant).model_dump()
                      for name in params.platforms},
    }


async def llm_copy_result(llm: LLMProvider, params: CopyParams) -> dict:
    limits = {name: PLATFORMS[name].__dict__ for name in params.platforms}

    def every_platform(answer: CopyAnswer) -> None:
        missing = [name for name in params.platforms if name not in answer.platforms]
        if missing:
            raise ValueError(f"platforms missing from the answer: {', '.join(missing)}")

    answer = await generate_json(
        llm, system=prompts.SYSTEM_COPY, prompt=prompts.copy_prompt(params.product.model_dump(exclude_none=True), limits),
        answer=CopyAnswer, check=every_platform, schema=answer_schemas.copy_schema(params.platforms, HEADLINE_CHARS))
    platforms = {}
    for name in params.platforms:
        post, platform = answer.platforms[name], PLATFORMS[name]
        tags = [t if t.startswith("#") else f"#{t}" for t in (re.sub(r"\s+", "", t) for t in post.hashtags) if t.strip("#")]
        # Models miscount characters: the same fitting as the offline writer enforces the limit.
        body = [part for part in post.body.split("\n\n") if part.strip()]
        platforms[name] = fit_post(platform, post.hook.strip(), body, post.cta.strip(), tags).model_dump()
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(answer.script.split()))
    return {
        "headline": shorten(answer.headline.strip(), PLATFORMS["facebook"], HEADLINE_CHARS),
        "script": " ".join(sentences[:SCRIPT_SENTENCES]),
        "platforms": platforms,
    }

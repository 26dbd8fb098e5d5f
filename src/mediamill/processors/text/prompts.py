"""Prompts for the LLM path: a system prompt per task and the exact JSON shape the answer must have."""

from __future__ import annotations

import json

SYSTEM_COPY = (
    "You are a senior social media copywriter. You write specific, vivid, honest marketing copy: "
    "no invented facts, prices, awards or statistics beyond what you are given. "
    "You always answer with one JSON object and nothing else."
)
SYSTEM_RESEARCH = (
    "You are a content strategist and SEO researcher. Base your analysis on the topic and text given; "
    "when you estimate (search demand, competition, trends), say so in your wording. "
    "You always answer with one JSON object and nothing else."
)
SYSTEM_CONTENT = (
    "You are a brand copywriter. You write in the brand's voice, for its audience, with clear structure "
    "and no invented facts. You always answer with one JSON object and nothing else."
)


def copy_prompt(product: dict, platforms: dict[str, dict]) -> str:
    shape = {
        "headline": "on-screen video title, at most 60 characters",
        "script": "voice-over script: 2 to 4 spoken sentences, 40 to 75 words, no emoji, no hashtags",
        "platforms": {name: {"hook": "...", "body": "...", "cta": "...", "hashtags": ["#..."]} for name in platforms},
    }
    rules = "\n".join(
        f"- {name}: the whole post (hook + body + cta + hashtags) at most {spec['max_chars']} characters, "
        f"ideally under {spec['target_chars']}; about {spec['hashtags']} hashtags"
        + ("; links are not clickable, say 'link in bio'" if spec["link_in_bio"] else "")
        for name, spec in platforms.items()
    )
    return (
        f"Write launch copy for this product:\n{json.dumps(product, ensure_ascii=False, indent=2)}\n\n"
        f"Platforms and their limits:\n{rules}\n\n"
        f"Answer with JSON of exactly this shape:\n{json.dumps(shape, indent=2)}"
    )


def research_prompt(topic: str, kind: str, text: str, audience: str, competitors: list[str]) -> str:
    shape = {
        "keywords": [{"keyword": "...", "score": "0-100 relevance", "intent": "informational|commercial|transactional"}],
        "angles": ["content angle", "..."],
        "questions": ["question the audience asks", "..."],
        "competitors": [{"name": "...", "strengths": "...", "gaps": "..."}],
        "trends": ["trend or timely hook", "..."],
        "scores": {"virality": "0-100", "relevance": "0-100", "competition": "0-100 (higher = more crowded)"},
    }
    parts = [f"Research type: {kind}.", f"Topic: {topic}"]
    if audience:
        parts.append(f"Audience: {audience}")
    if competitors:
        parts.append("Known competitors: " + ", ".join(competitors))
    if text:
        parts.append(f"Source text:\n{text}")
    parts.append(f"Answer with JSON of exactly this shape (numbers as numbers):\n{json.dumps(shape, indent=2)}")
    return "\n\n".join(parts)


def content_prompt(idea: str, brand: dict, kind: str, words: int, keywords: list[str], research: dict | None) -> str:
    shape = {"title": "...", "summary": "one or two sentences", "sections": [{"heading": "...", "body": "..."}],
             "cta": "call to action", "hashtags": ["#..."]}
    parts = [f"Write a {kind} piece of about {words} words.", f"Idea: {idea}",
             f"Brand: {json.dumps(brand, ensure_ascii=False)}"]
    if keywords:
        parts.append("Use these keywords naturally: " + ", ".join(keywords))
    if research:
        parts.append(f"Research notes: {json.dumps(research, ensure_ascii=False)[:4000]}")
    parts.append(f"Answer with JSON of exactly this shape:\n{json.dumps(shape, indent=2)}")
    return "\n\n".join(parts)

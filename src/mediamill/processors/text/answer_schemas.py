"""JSON schemas of the LLM answers, with the limits a constraining provider (local) enforces while it writes.

Bounded strings and lists keep a small model from repeating itself until it runs out of tokens: the
grammar closes the JSON at the bound. The limits are generous next to what the guards after it keep
(fit_post still cuts each post to its platform; every provider's answer goes through the same path).
"""

from __future__ import annotations

from mediamill.processors.text.platforms import PLATFORMS

HASHTAG = {"type": "string", "pattern": "^#[A-Za-z][A-Za-z0-9_]{1,29}$"}
# A post's middle: the platform's target length, at most 600 characters (a 2,200-limit caption aims at 900).
BODY_CHARS = 600


def _text(most: int, least: int = 1) -> dict:
    return {"type": "string", "minLength": least, "maxLength": most}


def _strings(item: dict, most: int, least: int = 0) -> dict:
    return {"type": "array", "items": item, "minItems": least, "maxItems": most}


def _object(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def copy_schema(platforms: list[str], headline_chars: int) -> dict:
    posts = {
        name: _object({
            "hook": _text(min(120, PLATFORMS[name].target_chars // 2)),
            "body": _text(min(BODY_CHARS, PLATFORMS[name].target_chars)),
            "cta": _text(100),
            "hashtags": _strings(HASHTAG, max(1, PLATFORMS[name].hashtags), least=1),
        })
        for name in platforms
    }
    return _object({"headline": _text(headline_chars), "script": _text(450, least=40), "platforms": _object(posts)})


def content_schema(target_words: int) -> dict:
    # About 6 characters a word; sections of at most ~250 words, as many as the target needs (2-6).
    sections = max(2, min(6, round(target_words / 180)))
    section = _object({"heading": _text(80), "body": _text(1_000, least=40)})
    return _object({"title": _text(90), "summary": _text(300), "sections": _strings(section, sections, least=2),
                    "cta": _text(150), "hashtags": _strings(HASHTAG, 5)})


def research_schema(max_keywords: int) -> dict:
    keyword = _object({"keyword": _text(60), "score": {"type": "integer", "minimum": 0, "maximum": 100},
                       "intent": {"enum": ["informational", "commercial", "transactional"]}})
    competitor = _object({"name": _text(80), "strengths": _text(200), "gaps": _text(200)})
    score = {"type": "integer", "minimum": 0, "maximum": 100}
    return _object({
        "keywords": _strings(keyword, min(max_keywords, 15), least=1),
        "angles": _strings(_text(160), 5),
        "questions": _strings(_text(160), 5),
        "competitors": _strings(competitor, 5),
        "trends": _strings(_text(160), 5),
        "scores": _object({"virality": score, "relevance": score, "competition": score}),
    })

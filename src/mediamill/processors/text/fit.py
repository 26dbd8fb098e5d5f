"""Fit a post into its platform: drop detail first, then hashtags, then cut at a word boundary."""

from __future__ import annotations

from mediamill.processors.text.models import PlatformCopy
from mediamill.processors.text.platforms import Platform, post_length

ELLIPSIS = "…"


def compose(hook: str, body: list[str], cta: str, tags: list[str], platform: Platform) -> str:
    tag_line = " ".join(tags)
    if platform.style == "tweet":  # a tweet reads as one block; blank lines waste characters
        return "\n".join(part for part in (hook, " ".join(body), cta, tag_line) if part)
    return "\n\n".join(part for part in (hook, *body, cta, tag_line) if part)


def shorten(text: str, platform: Platform, budget: int) -> str:
    """Cut `text` at a word boundary so it counts at most `budget`, ending with an ellipsis."""
    if post_length(text, platform) <= budget:
        return text
    words = text.split(" ")
    while words and post_length(" ".join(words) + ELLIPSIS, platform) > budget:
        words.pop()
    return (" ".join(words).rstrip(",;:—-") + ELLIPSIS) if words else ""


def fit_post(platform: Platform, hook: str, body: list[str], cta: str, tags: list[str]) -> PlatformCopy:
    """Aim for the platform's target length; never exceed its hard limit."""
    body, tags = list(body), list(tags)

    def length() -> int:
        return post_length(compose(hook, body, cta, tags, platform), platform)

    while length() > platform.target_chars and len(body) > 1:
        body.pop()
    # Over the hard limit: a hashtag or two is worth more than the tail of a long body.
    keep = min(len(tags), 1 if platform.hashtags <= 2 else 2)
    while length() > platform.max_chars and len(tags) > keep:
        tags.pop()
    if length() > platform.max_chars and body:
        spare = platform.max_chars - post_length(compose(hook, [], cta, tags, platform), platform) - 2
        body = [shorten(" ".join(body), platform, spare)] if spare > 10 else []
    while length() > platform.max_chars and tags:
        tags.pop()
    if length() > platform.max_chars:
        hook = shorten(hook, platform, max(platform.max_chars // 3, 1))
    if length() > platform.max_chars:
        cta = shorten(cta, platform, platform.max_chars - post_length(compose(hook, [], "", [], platform), platform) - 2)
    text = compose(hook, body, cta, tags, platform)
    return PlatformCopy(hook=hook, body="\n\n".join(body), cta=cta or "", hashtags=tags, text=text,
                        length=post_length(text, platform), limit=platform.max_chars)

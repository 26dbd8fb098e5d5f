"""The offline copywriter: deterministic, rule-based platform copy, a headline and a voice-over script.

Same inputs give the same copy (the random choices are seeded by the inputs and `variant`); another
variant gives another wording. Every sentence comes from a template whose slots are all filled.
"""

from __future__ import annotations

import hashlib
import json
import random
import re

from mediamill.processors.text.benefits import feature_line, top_benefit
from mediamill.processors.text.fit import fit_post, shorten
from mediamill.processors.text.keywords import hashtags
from mediamill.processors.text.models import PlatformCopy
from mediamill.processors.text.platforms import PLATFORMS, Platform
from mediamill.processors.text.product import Facts

# {name} {category} {benefit} {audience}: a template is used only when all its slots are known.
HOOKS: dict[str, tuple[str, ...]] = {
    "friendly": ("Meet {name}, the {category} that {benefit}.", "Say hello to {name}.",
                 "{Audience}, this one's for you.", "Your {category} just got an upgrade."),
    "bold": ("Stop settling for an ordinary {category}.", "This is the {category} that {benefit}.",
             "{name} changes what you expect from a {category}.", "{Audience}: meet your new favorite {category}.",
             "Meet {name}. You'll wonder how you managed without it."),
    "playful": ("Plot twist: your {category} can do more.", "POV: you found a {category} that {benefit}.",
                "Warning: {name} may spoil every other {category} for you.", "{Audience}, you're going to love this.", "{name} just entered the chat."),
    "professional": ("Introducing {name}: a {category} that {benefit}.", "{name} is built for {audience}.",
                     "A better {category} starts with the details.", "Meet {name}, designed for everyday work."),
    "luxury": ("Crafted for those who notice the details: {name}.", "{name}. Quietly exceptional.",
               "An elevated {category} that {benefit}.", "Made for {audience} who expect more."),
    "calm": ("A simpler {category}, made to last.", "{name} keeps things easy.",
             "Take one thing off your mind: {name} {benefit}.", "Made with {audience} in mind."),
}
EMOJI = {"friendly": ("✨", "🙌", "💛"), "bold": ("🔥", "⚡", "💥"), "playful": ("👀", "😍", "🎉")}
CTA_LINK_IN_BIO = ("Tap the link in bio to get yours{price}.", "Grab yours{price} from the link in bio.",
                   "Get yours{price}: link in bio.")
CTA_LINK = ("Get yours{price}: {url}", "Order yours{price} at {url}", "See it for yourself: {url}")
CTA_PLAIN = ("Get yours today{price}.", "Order yours today{price}.", "Treat yourself to one today{price}.")
CTA_PROFESSIONAL = ("Learn more: {url}", "See how it works: {url}", "Available now{price}: {url}")
CTA_PROFESSIONAL_NO_LINK = ("Available now{price}.", "Now available{price}.")
SPOKEN_CTA = ("Get yours today{price}.", "Grab yours today{price}.", "Order yours now{price}.")
# Used when the script would be under ~15 s: the same call to action, given a little more room.
SPOKEN_CTA_LONG = ("Get yours today{price}, and see the difference for yourself.",
                   "Grab yours today{price}, and make every day a little easier.",
                   "Order yours now{price}, and see what it can do for you.")
MIN_SCRIPT_WORDS = 38


def seeded(*parts: object) -> random.Random:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def fill(templates: tuple[str, ...], facts: Facts, rng: random.Random, benefit: str | None) -> str:
    slots = {"name": facts.name, "category": facts.category, "benefit": benefit or "",
             "audience": facts.audience, "Audience": facts.audience[:1].upper() + facts.audience[1:]}
    usable = [t for t in templates if all(slots.get(s) for s in re.findall(r"\{(\w+)\}", t))]
    return rng.choice(usable).format(**slots)


def hook_for(facts: Facts, rng: random.Random, benefit: str | None) -> str:
    return fill(HOOKS[facts.tone], facts, rng, benefit)


def cta_for(facts: Facts, platform: Platform, rng: random.Random) -> str:
    price = f" for {facts.price}" if facts.price else ""
    if platform.style == "professional":
        choices = CTA_PROFESSIONAL if facts.url else CTA_PROFESSIONAL_NO_LINK
    elif platform.link_in_bio:
        choices = CTA_LINK_IN_BIO
    else:
        choices = CTA_LINK if facts.url else CTA_PLAIN
    return rng.choice(choices).format(price=price, url=facts.url)


def introduce(facts: Facts, hook: str) -> list[str]:
    """The summary, leading with the product's name when the hook did not say it."""
    if facts.name in hook:
        return [facts.summary] if facts.summary else []
    if not facts.summary:
        return [f"Meet {facts.name}."]
    if re.match(r"(A|An|The) ", facts.summary) or len(facts.summary.split()) <= 6:
        return [f"Meet {facts.name}: {facts.summary[0].lower()}{facts.summary[1:]}"]
    return [f"Meet {facts.name}. {facts.summary}"]


def body_parts(facts: Facts, platform: Platform, rng: random.Random, benefit: str | None,
               used: set[str], hook: str) -> list[str]:
    """Body paragraphs, most important first (fitting drops from the end)."""
    lines = [feature_line(f, rng, used) for f in facts.features]
    summary = introduce(facts, hook)
    if platform.style == "tweet":
        subject = "It" if facts.name in hook else facts.name
        return [f"{subject} {benefit}."] if benefit else (summary + lines)[:1]
    if platform.style == "short":
        return (summary or lines[:1]) + ([f"It {benefit}."] if benefit and summary else [])
    if platform.style == "professional":
        bullets = [f"→ {line}" for line in lines[:4]]
        audience = [f"Built for {facts.audience}."] if facts.audience else []
        return summary + (["Why it matters:\n" + "\n".join(bullets)] if bullets else []) + audience
    if platform.style == "post":
        paragraph = " ".join(lines[:3])
        return summary + ([paragraph] if paragraph else [])
    bullets = "\n".join(f"✔ {line}" for line in lines[:4])
    return summary + ([bullets] if bullets else [])


def write_platform(facts: Facts, platform: Platform, variant: int = 0) -> PlatformCopy:
    rng, used = seeded(facts.__dict__, platform.name, variant), set()
    benefit = top_benefit(facts.features, rng, used)
    hook = hook_for(facts, rng, benefit)
    if facts.tone in EMOJI and platform.style in ("caption", "short"):
        hook = f"{hook} {rng.choice(EMOJI[facts.tone])}"
    body = [part for part in body_parts(facts, platform, rng, benefit, used, hook)
            if not (facts.audience and facts.audience in hook and facts.audience in part)]  # said once is enough
    return fit_post(platform, hook, body, cta_for(facts, platform, rng),
                    tags_for(facts, platform.hashtags))


def tags_for(facts: Facts, limit: int) -> list[str]:
    """The product's name first, then short keywords (long phrases make unreadable hashtags), then its kind."""
    short = [k for k in facts.keywords if len(k.split()) <= 2]
    return hashtags([facts.name, *short, *([facts.category] if facts.category else [])], limit)


def headline(facts: Facts, variant: int = 0, max_chars: int = 60) -> str:
    """A short on-screen title for the video: the longest option that fits `max_chars`."""
    rng = seeded(facts.__dict__, "headline", variant)
    benefit = top_benefit(facts.features, rng, set())
    options = []
    if benefit:
        claim = benefit.removeprefix("is ")  # "is built to last" -> "Built to last"
        options.append(f"{facts.name}: {claim[:1].upper()}{claim[1:]}")
    if facts.audience:
        options.append(f"{facts.name}, made for {facts.audience}")
    options.append(f"Meet {facts.name}")
    fitting = [o for o in options if len(o) <= max_chars]
    if fitting:
        return fitting[0]
    # A name with no word break to cut at (a long code, a URL) is cut hard rather than lost.
    return shorten(facts.name, PLATFORMS["facebook"], max_chars) or facts.name[: max_chars - 1] + "…"


def script(facts: Facts, variant: int = 0, max_words: int = 70) -> str:
    """2-4 spoken sentences (~15-30 s at 150 words a minute): hook, what it is, a benefit, the call to action."""
    rng, used = seeded(facts.__dict__, "script", variant), set()
    benefit = top_benefit(facts.features, rng, used)
    price = f" for {facts.price}" if facts.price else ""
    hook = hook_for(facts, rng, benefit)
    sentences = [hook, *introduce(facts, hook)]  # the name is always spoken
    sentences = [part for sentence in sentences for part in re.split(r"(?<=[.!?])\s+", sentence)]
    # Spoken, a feature with its benefit carries; bare features ("Reef-safe.") are said together, once.
    lines = [feature_line(f, rng, used) for f in facts.features[:4]]
    explained = [line for line in lines if ", so it " in line]
    bare = [line.rstrip(".") for line in lines if ", so it " not in line]
    if bare:
        listed = bare[0] if len(bare) == 1 else ", ".join(bare[:-1]) + " and " + bare[-1][:1].lower() + bare[-1][1:]
        explained.append(listed + ".")
    sentences.extend(explained[:2])
    if len(sentences) < 3 and len(" ".join(sentences).split()) < MIN_SCRIPT_WORDS - 10:
        sentences.append(f"It is the {facts.category or 'one'} you will reach for every day.")
    sentences = sentences[:3]
    while len(" ".join(sentences).split()) > max_words - 6 and len(sentences) > 1:
        sentences.pop()  # drop detail, keep the hook
    short = len(" ".join(sentences).split()) < MIN_SCRIPT_WORDS - 5
    return " ".join([*sentences, rng.choice(SPOKEN_CTA_LONG if short else SPOKEN_CTA).format(price=price)])
